#!/usr/bin/env bash
# The ledger over 1 000 000 contracts (500 departments) against the same GROUP BY in the sqlite3
# shell on the same file, in the same run (target ratio ≤ 2.0); the overdue SME payments over
# 20 000 late instalments against the same join in the shell; audit verify over 1 000 000 events.
# Usage: scripts/bench-ledger.sh    env: CONTRACTS, EVENTS, OVERDUE. Records into docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
CONTRACTS=${CONTRACTS:-1000000}
EVENTS=${EVENTS:-1000000}
OVERDUE=${OVERDUE:-20000}
if ! command -v sqlite3 >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sqlite3 >/dev/null
    else
        echo "sqlite3 is missing: sudo apt-get install sqlite3" >&2; exit 1
    fi
fi
cargo bench --quiet --bench ledger -- --contracts "$CONTRACTS" --events "$EVENTS" --overdue "$OVERDUE" \
    | tee /dev/stderr | scripts/record-benchmark.py bench-ledger
