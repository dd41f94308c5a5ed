#!/usr/bin/env bash
# Sealed-bid load on both backends: BIDS bids (default 10 000) to one lot from CLIENTS concurrent
# HTTP clients (default 64), then the opening, the review, the scores and the evaluation of the
# lot — with the anchors of the same run (GET /health through the same clients; the engine alone
# on the stored input). Zero errors and zero lost bids (count and receipts) or it fails.
# Usage: scripts/bench-bids.sh     env: BIDS, CLIENTS. Writes the figures into docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
BIDS=${BIDS:-10000}
CLIENTS=${CLIENTS:-64}
export RUST_LOG=warn

cargo bench --bench bids --no-run --quiet 2>/dev/null || cargo bench --bench bids --no-run
run() {
    cargo bench --quiet --bench bids -- --bids "$BIDS" --clients "$CLIENTS"
}

echo "== SQLite"
SMEPROC_BENCH_DATABASE_URL="" run | tee /dev/stderr | scripts/record-benchmark.py bench-bids-sqlite

echo "== PostgreSQL"
# shellcheck source=lib/postgres.sh
source scripts/lib/postgres.sh
start_temp_postgres
psql -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -c "CREATE DATABASE smeproc_bench" postgres
SMEPROC_BENCH_DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/smeproc_bench" run \
    | tee /dev/stderr | scripts/record-benchmark.py bench-bids-postgres
