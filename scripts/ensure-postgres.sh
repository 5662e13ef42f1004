#!/usr/bin/env bash
# Makes sure a PostgreSQL server the tests can use without a password is
# running, and prints its admin URL on stdout (everything else goes to stderr).
#
# Order: $YOUYING_TEST_PG_URL if it answers; the machine's server at
# 127.0.0.1:5432 (started if its cluster is down); otherwise a private
# throw-away instance with trust auth on port 55432, installing PostgreSQL
# from Debian's packages if it is missing. System configuration is never edited.
set -euo pipefail

say() { echo "ensure-postgres: $*" >&2; }
answers() { psql "$1" -Atqc 'select 1' >/dev/null 2>&1; }

if [[ -n "${YOUYING_TEST_PG_URL:-}" ]] && answers "$YOUYING_TEST_PG_URL"; then
  echo "$YOUYING_TEST_PG_URL"; exit 0
fi

DEFAULT=postgres://postgres@127.0.0.1:5432/postgres
if command -v psql >/dev/null && answers "$DEFAULT"; then echo "$DEFAULT"; exit 0; fi

if command -v pg_ctlcluster >/dev/null && [[ -d /etc/postgresql ]] && [[ -n "$(ls /etc/postgresql 2>/dev/null)" ]]; then
  for v in $(ls /etc/postgresql); do
    say "starting cluster $v/main"
    pg_ctlcluster --skip-systemctl-redirect "$v" main start >&2 2>&1 || true
  done
  for _ in $(seq 1 30); do
    if answers "$DEFAULT"; then echo "$DEFAULT"; exit 0; fi
    sleep 0.5
  done
fi

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  say "installing PostgreSQL from Debian's packages"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO=sudo
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >&2
fi

BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
DIR=${YOUYING_PG_DIR:-/tmp/youying-pg}
PORT=55432
PRIVATE=postgres://postgres@127.0.0.1:$PORT/postgres
if answers "$PRIVATE"; then echo "$PRIVATE"; exit 0; fi
as_pg() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if [[ ! -f "$DIR/PG_VERSION" ]]; then
  say "creating a private instance in $DIR"
  mkdir -p "$DIR"; [[ $(id -u) -eq 0 ]] && chown postgres "$DIR"
  as_pg "$BIN/initdb" -D "$DIR" -U postgres --auth=trust >&2
fi
as_pg "$BIN/pg_ctl" -D "$DIR" -l "$DIR/server.log" -o "-p $PORT -k /tmp -c listen_addresses=127.0.0.1" -w start >&2
answers "$PRIVATE" || { say "PostgreSQL did not come up"; exit 1; }
echo "$PRIVATE"
