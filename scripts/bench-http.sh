#!/usr/bin/env bash
# HTTP benchmark: requests/s and latency percentiles of GET /health (the service's own ceiling,
# the anchor) and of an authenticated read, GET /api/v1/me (token hash lookup joined to the
# user), measured with wrk in the same run against the release binary on a fresh SQLite file.
# Usage: scripts/bench-http.sh        env: DURATION (s, default 10), CONNECTIONS (default 64)
# Installs wrk from Debian when missing. Writes the figures into docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}

if ! command -v wrk >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
    else
        echo "wrk is missing: sudo apt-get install wrk" >&2; exit 1
    fi
fi
cargo build --release --quiet

WORK=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export DATABASE_URL="sqlite://$WORK/bench.db"
export RUST_LOG=warn
export SMEPROC_LOGIN_MAX_PER_ADDRESS=1000
printf 'benchmark password\n' | target/release/smeproc user create --username bench --role auditor >/dev/null
target/release/smeproc serve --bind "127.0.0.1:$PORT" --workers 2 >"$WORK/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 50); do
    python3 -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$PORT/ready')" 2>/dev/null && break
    sleep 0.2
done
TOKEN=$(python3 - "$PORT" <<'PY'
import json, sys, urllib.request
req = urllib.request.Request(f"http://127.0.0.1:{sys.argv[1]}/api/v1/auth/login",
    data=json.dumps({"username": "bench", "password": "benchmark password"}).encode(),
    headers={"content-type": "application/json"})
print(json.load(urllib.request.urlopen(req))["token"])
PY
)

run() {  # name, path, extra wrk args…
    local name=$1 path=$2; shift 2
    wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency "$@" "http://127.0.0.1:$PORT$path" >"$WORK/$name.txt"
    local rps p50 p99
    rps=$(awk '/^Requests\/sec:/ {print $2}' "$WORK/$name.txt")
    p50=$(awk '$1 == "50%" {print $2}' "$WORK/$name.txt")
    p99=$(awk '$1 == "99%" {print $2}' "$WORK/$name.txt")
    grep -q "Non-2xx" "$WORK/$name.txt" && { echo "$name: non-2xx answers" >&2; cat "$WORK/$name.txt" >&2; exit 1; }
    echo "$name $rps $p50 $p99"
}
HEALTH=$(run health /health)
ME=$(run me /api/v1/me -H "Authorization: Bearer $TOKEN")

python3 - "$HEALTH" "$ME" "$DURATION" "$CONNECTIONS" <<'PY' | tee /dev/stderr | scripts/record-benchmark.py bench-http
import datetime, os, sys
(_, h_rps, h50, h99), (_, m_rps, m50, m99) = (a.split() for a in sys.argv[1:3])
duration, conns = sys.argv[3], sys.argv[4]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
lines = [
    f"- {datetime.date.today()}, {cpu}, {os.cpu_count()} cores shared by server (2 workers) and wrk (1 thread, {conns} connections, {duration} s each); SQLite.",
    f"- anchor `GET /health`: {float(h_rps):,.0f} req/s, p50 {h50}, p99 {h99}.",
    f"- `GET /api/v1/me` (bearer token → session ⋈ user): {float(m_rps):,.0f} req/s, p50 {m50}, p99 {m99}; {float(m_rps) / float(h_rps):.2f} of the anchor.",
]
print("\n".join(lines))
PY
