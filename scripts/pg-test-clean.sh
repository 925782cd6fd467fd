#!/usr/bin/env bash
# Drops the PostgreSQL databases earlier test runs left behind (palaver_t_* from the
# integration suites, palaver_contract_* and palaver_migrations_* from the store suites).
# Connects to the admin database PALAVER_TEST_POSTGRES names (default
# postgres://postgres@127.0.0.1:5432/postgres), as the suites do.
set -euo pipefail
admin=${PALAVER_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres}
command -v psql >/dev/null || { echo "pg-test-clean: psql not found; nothing dropped"; exit 0; }
mapfile -t stale < <(psql "$admin" -Atc \
    "SELECT datname FROM pg_database WHERE datname LIKE 'palaver\_t\_%' OR datname LIKE 'palaver\_contract\_%' OR datname LIKE 'palaver\_migrations\_%'")
for db in "${stale[@]}"; do
    [[ -n $db ]] && psql "$admin" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)"
done
echo "pg-test-clean: dropped ${#stale[@]} test databases"
