#!/usr/bin/env bash
# Browser tests: headless Chromium (Debian's) driven by playwright-core against
# a freshly built `youying` binary. Installs what is missing, builds, runs
# e2e/run.mjs; exits non-zero on any failure.
#
#   bash scripts/e2e.sh                 every test file
#   bash scripts/e2e.sh main layout     only files whose name contains a word given
#
# YOUYING_E2E_DATABASE_URL=postgres://USER@HOST/DB runs on PostgreSQL instead:
# each test file's server gets a fresh database created on that server (needs
# psql and CREATEDB), dropped afterwards. Default: a fresh SQLite per server.
# Failure screenshots go to e2e/test-results/ (git-ignored).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

say() { printf 'e2e.sh: %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  else
    sudo "$@"
  fi
}

# --- system packages: Chromium, a CJK font (else Chinese shows as boxes), Node ---
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ ! -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] \
  && [ -z "$(fc-list 'WenQuanYi Micro Hei' 2>/dev/null || true)" ]; then
  missing+=(fonts-wqy-microhei)
fi
command -v node >/dev/null 2>&1 || missing+=(nodejs)
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing ${missing[*]}"
  as_root apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
if ! command -v npm >/dev/null 2>&1; then
  say "installing npm"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends npm
fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 20 ]; then
  say "Node.js >= 20 is needed by playwright-core (found $(node --version))"
  exit 2
fi

# --- playwright-core (never the `playwright` package: it downloads browsers) ---
if [ ! -d e2e/node_modules/playwright-core ]; then
  say "installing e2e/node_modules"
  if [ -f e2e/package-lock.json ]; then
    (cd e2e && npm ci --no-audit --no-fund)
  else
    (cd e2e && npm install --no-audit --no-fund)
  fi
fi

# --- the server binary ---
say "building youying"
cargo build -p youying-server --bin youying
target_dir="${CARGO_TARGET_DIR:-target}"
case "$target_dir" in
  /*) ;;
  *) target_dir="$repo/$target_dir" ;;
esac
export YOUYING_E2E_BIN="$target_dir/debug/youying"

exec node e2e/run.mjs "$@"
