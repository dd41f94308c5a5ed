#!/usr/bin/env bash
# Mixed load on both backends: CLIENTS concurrent clients (default 64) for SECONDS (default 60)
# reading and writing every kind (searches, reads, price changes, products, declarations, bids
# and their replacements, subcontract payments, logins), then every acknowledged write counted
# back. Fails on any 5xx, any unexpected answer, any lost or duplicated write. The anchor of the
# same run: GET /health through the same clients.
# Usage: scripts/bench-mixed.sh     env: SECONDS_, CLIENTS. Writes the figures into docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_=${SECONDS_:-60}
CLIENTS=${CLIENTS:-64}
export RUST_LOG=warn

cargo bench --bench mixed --no-run --quiet 2>/dev/null || cargo bench --bench mixed --no-run
run() {
    cargo bench --quiet --bench mixed -- --seconds "$SECONDS_" --clients "$CLIENTS"
}

echo "== SQLite"
SMEPROC_BENCH_DATABASE_URL="" run | tee /dev/stderr | scripts/record-benchmark.py bench-mixed-sqlite

echo "== PostgreSQL"
# shellcheck source=lib/postgres.sh
source scripts/lib/postgres.sh
start_temp_postgres
psql -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -c "CREATE DATABASE smeproc_bench" postgres
SMEPROC_BENCH_DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/smeproc_bench" run \
    | tee /dev/stderr | scripts/record-benchmark.py bench-mixed-postgres
