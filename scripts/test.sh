#!/usr/bin/env bash
# Every test: unit, store-contract and HTTP tests on SQLite and on PostgreSQL,
# the CLI tests, then the browser tests in headless Chromium. Installs or starts
# what they need (PostgreSQL, Chromium, fonts, npm packages) when it is missing.
# Under CI=true a PostgreSQL half that could not run fails instead of skipping.
set -euo pipefail
cd "$(dirname "$0")/.."

YOUYING_TEST_PG_URL=$(scripts/ensure-postgres.sh)
export YOUYING_TEST_PG_URL
echo "test.sh: PostgreSQL for tests at ${YOUYING_TEST_PG_URL}" >&2

cargo test --workspace --locked
bash scripts/e2e.sh
