#!/usr/bin/env bash
# A SIZE_MIB (default 50) MiB bid document uploaded to the release server on the demo dataset:
# the server's peak resident memory (VmHWM) after a 1 KiB document (the anchor) and after the
# big one, and the upload's time against copying the same file on the same disk (the anchor of
# the same run). Memory must stay flat: the upload streams to the store sealed, never whole.
# Usage: scripts/bench-upload.sh     env: SIZE_MIB. Writes the figures into docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MIB=${SIZE_MIB:-50}
cargo build --release --quiet
DIR=$(mktemp -d)
PID=
cleanup() {
    [ -n "$PID" ] && kill "$PID" 2>/dev/null || true
    rm -rf "$DIR"
}
trap cleanup EXIT
export DATABASE_URL="sqlite://$DIR/upload.db" SMEPROC_SECRET_KEY_FILE="$DIR/smeproc.key"
export SMEPROC_DOCUMENT_DIR="$DIR/documents" RUST_LOG=warn SMEPROC_COOKIE_SECURE=false
BIN="${CARGO_TARGET_DIR:-target}/release/smeproc"
"$BIN" demo >/dev/null
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$BIN" serve --bind "127.0.0.1:$PORT" --workers 2 >"$DIR/serve.log" 2>&1 &
PID=$!
API="http://127.0.0.1:$PORT/api/v1"
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/ready" >/dev/null && break; sleep 0.1; done

hwm() { awk '/VmHWM/ {print $2}' "/proc/$PID/status"; }
# A PDF-like file of exactly $2 bytes: the magic (9 bytes), then random bytes.
make_file() { { printf '%%PDF-1.7\n'; head -c "$(($2 - 9))" /dev/urandom; } >"$1"; }
make_file "$DIR/small.pdf" 1024
make_file "$DIR/big.pdf" $((SIZE_MIB * 1024 * 1024))

# A supplier and an open lot it has not bid on yet (the demo's published projects).
TOKEN=
BID=
for user in supplier supplier2 supplier3; do
    T=$(curl -sf "$API/auth/login" -H 'content-type: application/json' \
        -d "{\"username\": \"$user\", \"password\": \"smeproc-demo-2026\"}" | jq -r .token)
    for P in $(curl -sf "$API/notices?kind=procurement&limit=50" | jq -r '.items[].project_id'); do
        PROJECT=$(curl -sf "$API/projects/$P")
        [ "$(jq -r .state <<<"$PROJECT")" = published ] || continue
        for L in $(jq -r '.lots[] | @base64' <<<"$PROJECT"); do
            LOT=$(base64 -d <<<"$L" | jq -r .id)
            BUDGET=$(base64 -d <<<"$L" | jq -r .budget)
            PRICE=$(python3 -c "print(f'{int(float(\"$BUDGET\") * 0.9)}.00')")
            R=$(curl -s "$API/lots/$LOT/bids" -H "authorization: Bearer $T" \
                -F "bid={\"price\": \"$PRICE\"}" -F "technical=@$DIR/small.pdf")
            if [ "$(jq -r '.bid_id // empty' <<<"$R")" != "" ]; then
                TOKEN=$T
                BID=$(jq -r .bid_id <<<"$R")
                break 3
            fi
        done
    done
done
[ -n "$BID" ] || { echo "no open lot took a demo bid" >&2; exit 1; }
BEFORE=$(hwm)

START=$(date +%s.%N)
R=$(curl -s -X PUT "$API/bids/$BID" -H "authorization: Bearer $TOKEN" \
    -F "bid={\"price\": \"$PRICE\"}" -F "technical=@$DIR/big.pdf")
END=$(date +%s.%N)
jq -e '.bid_id' <<<"$R" >/dev/null || { echo "the big upload failed: $R" >&2; exit 1; }
AFTER=$(hwm)
SEALED=$(find "$DIR/documents/sealed" -type f -size +$((SIZE_MIB - 1))M | wc -l)

CSTART=$(date +%s.%N)
cp "$DIR/big.pdf" "$DIR/copy.pdf" && sync "$DIR/copy.pdf"
CEND=$(date +%s.%N)

CPU=$(awk -F: '/model name/ {gsub(/^ /, "", $2); print $2; exit}' /proc/cpuinfo)
python3 - "$SIZE_MIB" "$START" "$END" "$CSTART" "$CEND" "$BEFORE" "$AFTER" "$SEALED" "$CPU" "$(nproc)" <<'PY' | tee /dev/stderr | scripts/record-benchmark.py bench-upload
import sys, datetime
size, s, e, cs, ce, before, after, sealed, cpu, cores = sys.argv[1:]
size = int(size); up = float(e) - float(s); cp = float(ce) - float(cs)
before, after = int(before) / 1024, int(after) / 1024
print(f"- {datetime.date.today()}, {cpu}, {cores} cores; SQLite, release build, 2 workers; the demo dataset.")
print(f"- a {size} MiB document (a bid's `technical` part, multipart, curl): {up:.2f} s ({size / up:.0f} MiB/s), sealed into the store ({sealed} sealed file of that size); anchor, copying the same file on the same disk: {cp:.2f} s ({size / cp:.0f} MiB/s).")
print(f"- server peak RSS (VmHWM): {before:.1f} MiB after a 1 KiB document (the anchor), {after:.1f} MiB after the {size} MiB one: +{after - before:.1f} MiB for a {size} MiB file.")
PY
