#!/usr/bin/env bash
# The worked example of docs/procurement.md, run for real: a fresh SQLite database, the release
# binary on a free port, an agency and three suppliers; a project with a reserved lot is
# published, bid on, opened (the real clock: the deadline is 60 s away), reviewed, scored,
# evaluated, awarded, its result published and its contract signed. Takes about two minutes.
# Usage: scripts/demo-procurement.sh        needs curl and jq
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
BIN=$PWD/target/release/smeproc
WORK=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export DATABASE_URL="sqlite://$WORK/demo.db" RUST_LOG=warn
API="http://127.0.0.1:$PORT/api/v1"
say() { printf '\n### %s\n' "$*"; }

# --- set-up: an agency, three registered SMEs (CLI), the server
$BIN migrate >/dev/null
$BIN org create --kind agency --name 喀什地区政府采购中心 --region 653101 >/dev/null
printf 'demo password\n' | $BIN user create --username buyer --role agency --agency 喀什地区政府采购中心 >/dev/null
cat >"$WORK/firms.csv" <<'CSV'
credit_code,name,industry,employees,revenue_wan,assets_wan,region
91653101000000001P,喀什市天山电脑有限公司,software,50,800,,653101
91650102000000002P,乌鲁木齐博达科技有限公司,software,200,5000,,650102
91654002000000003P,伊宁市小微信息服务部,software,5,30,,654002
CSV
# The check characters above are placeholders: give the CSV real codes (gen-catalogue makes some).
python3 - "$WORK/firms.csv" <<'PY'
import csv, sys
W = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
A = "0123456789ABCDEFGHJKLMNPQRTUWXY"
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8")))
for r in rows[1:]:
    body = r[0][:17]
    r[0] = body + A[(31 - sum(A.index(c) * w for c, w in zip(body, W)) % 31) % 31]
csv.writer(open(sys.argv[1], "w", encoding="utf-8", newline="")).writerows(rows)
PY
$BIN enterprise import "$WORK/firms.csv" >/dev/null
mapfile -t CODES < <(tail -n +2 "$WORK/firms.csv" | cut -d, -f1)
for i in 0 1 2; do
    printf 'demo password\n' | $BIN user create --username "supplier$i" --role supplier --enterprise "${CODES[$i]}" >/dev/null
done
$BIN serve --bind "127.0.0.1:$PORT" --workers 1 >"$WORK/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
until curl -sf "http://127.0.0.1:$PORT/ready" >/dev/null; do sleep 0.2; done
login() { curl -sf "$API/auth/login" -H 'content-type: application/json' \
    -d "{\"username\": \"$1\", \"password\": \"demo password\"}" | jq -r .token; }
AGENCY=$(login buyer)
S=("$(login supplier0)" "$(login supplier1)" "$(login supplier2)")

say "1. The agency drafts a project: one lot reserved for SMEs, one not"
DEADLINE=$(date -u -d '+60 seconds' +%Y-%m-%dT%H:%M:%SZ)
OPENING=$(date -u -d '+70 seconds' +%Y-%m-%dT%H:%M:%SZ)
PROJECT=$(curl -sf "$API/projects" -H "authorization: Bearer $AGENCY" -H 'content-type: application/json' -d @- <<JSON
{"title": "喀什地区教育局计算机采购", "category": "goods", "category_code": "A0201",
 "procurement_method": "open_tender", "policy": "xinjiang-2011",
 "evaluation": {"method": "comprehensive", "weights": {"price": 30, "technical": 50, "commercial": 20}},
 "budget": "1500000.00", "reservation": "lots",
 "bid_deadline": "$DEADLINE", "opening_at": "$OPENING",
 "lots": [{"title": "台式计算机", "budget": "1000000.00", "reserved": true},
          {"title": "打印机", "budget": "500000.00", "reserved": false}]}
JSON
)
PID=$(jq -r .id <<<"$PROJECT"); LOT=$(jq -r '.lots[0].id' <<<"$PROJECT")
jq -c '{id, state, lots: [.lots[] | {number, reserved}]}' <<<"$PROJECT"

say "2. Publish: the policy version is pinned and the procurement notice goes out"
curl -sf -X POST "$API/projects/$PID/publish" -H "authorization: Bearer $AGENCY" | jq -c '{state, policy_version}'
echo "no key holders named: the publishing officer holds the only key share of each lot; it collects them once"
SHARE1=$(curl -sf -X POST "$API/lots/$LOT/key-share" -H "authorization: Bearer $AGENCY" | jq -r .share)
LOT2=$(jq -r '.lots[1].id' <<<"$PROJECT")
SHARE2=$(curl -sf -X POST "$API/lots/$LOT2/key-share" -H "authorization: Bearer $AGENCY" | jq -r .share)
curl -sf "$API/notices?region=6531&reserved=true" | jq -c '.items[] | {kind, title}'

say "3. Three suppliers bid on the reserved lot; each keeps its receipt"
for i in 0 1 2; do
    PRICE=$((950000 - i * 20000))
    curl -sf "$API/lots/$LOT/bids" -H "authorization: Bearer ${S[$i]}" -H 'content-type: application/json' \
        -d "{\"price\": \"$PRICE.00\"}" | jq -c '{bid_id, sha256, received_at}'
done
echo "before the opening the agency sees only the count:"
curl -sf "$API/lots/$LOT/bids" -H "authorization: Bearer $AGENCY" | jq -c '{sealed, count, bids}'

say "4. Wait for the deadline and the opening time ($OPENING)"
sleep $(( $(date -d "$OPENING" +%s) - $(date +%s) + 1 ))
echo "the opening (开标): the holder gives its shares; each lot opens and has its opening record"
curl -sf "$API/lots/$LOT/opening/shares" -H "authorization: Bearer $AGENCY" -H 'content-type: application/json' \
    -d "{\"share\": \"$SHARE1\"}" | jq -c '{opened_at, bids: [.record.bids[] | {bidder, price, result}]}'
curl -sf "$API/lots/$LOT2/opening/shares" -H "authorization: Bearer $AGENCY" -H 'content-type: application/json' \
    -d "{\"share\": \"$SHARE2\"}" | jq -c '{opened_at}'
BIDS=$(curl -sf "$API/lots/$LOT/bids" -H "authorization: Bearer $AGENCY" | jq -c '[.bids[].id]')
echo "opened: $BIDS"

say "5. Qualification review, two evaluators' scores, evaluation"
curl -sf "$API/lots/$LOT/qualification" -H "authorization: Bearer $AGENCY" -H 'content-type: application/json' \
    -d "{\"results\": $(jq -c '[.[] | {bid_id: ., qualified: true}]' <<<"$BIDS")}" | jq -c '[.bids[].qualified]'
for e in 专家A 专家B; do
    curl -sf "$API/lots/$LOT/scores" -H "authorization: Bearer $AGENCY" -H 'content-type: application/json' \
        -d "{\"evaluator\": \"$e\", \"scores\": $(jq -c '[to_entries[] | {bid_id: .value, technical: (40 + .key), commercial: 15}]' <<<"$BIDS")}" >/dev/null
done
RUN=$(curl -sf -X POST "$API/lots/$LOT/evaluate" -H "authorization: Bearer $AGENCY")
jq -c '.output.ranking[] | {rank, bid_id, effective_scale, minority_region, total}' <<<"$RUN"
echo "replay (the stored input, run again):"
curl -sf "$API/evaluations/$(jq -r .id <<<"$RUN")/replay" -H "authorization: Bearer $AGENCY" | jq -c '{identical, input_intact}'

say "6. The unreserved lot had no bids: its run fails. Award lot 1, publish the result"
curl -sf -X POST "$API/lots/$(jq -r '.lots[1].id' <<<"$PROJECT")/evaluate" -H "authorization: Bearer $AGENCY" | jq -c '{outcome, failure: .output.failure_reason}'
curl -sf -X POST "$API/lots/$LOT/award" -H "authorization: Bearer $AGENCY" | jq -c '{state, awarded_bid_id}'
curl -sf -X POST "$API/projects/$PID/result" -H "authorization: Bearer $AGENCY" \
    | jq -c '{kind, winner: .body.lots[0].winner | {amount, parties}}'

say "7. The contract, with its SME credits; the OCDS release"
WIN_PRICE=$(jq -r '.output.ranking[] | select(.rank == 1) | .price' <<<"$RUN")
curl -sf "$API/lots/$LOT/contract" -H "authorization: Bearer $AGENCY" -H 'content-type: application/json' \
    -d "{\"number\": \"KS-2026-001\", \"amount\": \"$WIN_PRICE\", \"signed_on\": \"$(date +%F)\"}" \
    | jq -c '{number, amount, sme_credit, small_micro_credit}'
curl -sf "$API/projects/$PID/ocds" | jq -c '.releases[0] | {tag, tender: .tender.status, awards: (.awards | length), contracts: (.contracts | length)}'
curl -sf "$API/projects/$PID" | jq -c '{state}'
