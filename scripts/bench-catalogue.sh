#!/usr/bin/env bash
# Catalogue benchmark (issue: 1 000 000 products).
#   For SQLite, then PostgreSQL (a throw-away server this script starts): times
#   `smeproc catalogue import` of PRODUCTS generated products into a fresh database (validation,
#   upsert lookups, indexes, search index and price history included) against the database's own
#   bulk loader filling a bare table from the same file on the same disk in the same run
#   (`sqlite3 DB '.import --csv FILE t'`, `psql \copy t FROM FILE CSV HEADER`); target ratio ≤ 2.0.
#   Peak memory of the import (target < 300 MB). Then `smeproc serve` on that database and
#   SEARCHES sequential keyword + category searches over HTTP: p50/p95/p99 (target p95 < 10 ms),
#   and a page 50 deep by keyset cursor.
# Usage: scripts/bench-catalogue.sh [PRODUCTS] [ENTERPRISES] [SEARCHES]  (1000000 10000 300)
# Writes the figures into docs/benchmarks.md between the bench-catalogue markers.
set -euo pipefail
cd "$(dirname "$0")/.."
PRODUCTS=${1:-1000000}
ENTERPRISES=${2:-10000}
SEARCHES=${3:-300}
WORK=$(mktemp -d /var/tmp/smeproc-bench.XXXXXX)
SERVER=
cleanup() {
    [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null || true
    stop_temp_postgres 2>/dev/null || true
    rm -rf "$WORK"
}
# shellcheck source=lib/postgres.sh
source scripts/lib/postgres.sh
command -v sqlite3 >/dev/null || { echo "needs sqlite3 (apt-get install sqlite3)" >&2; exit 1; }
command -v psql >/dev/null || { echo "needs psql (apt-get install postgresql-client)" >&2; exit 1; }

cargo build --release --quiet
scripts/gen-catalogue --enterprises "$ENTERPRISES" --products "$PRODUCTS" --out "$WORK"
start_temp_postgres
trap cleanup EXIT
chmod 755 "$WORK"; chmod 644 "$WORK"/*.csv

python3 - "$WORK" "$PRODUCTS" "$SEARCHES" "$PG_URL" <<'PY' | tee /dev/stderr | scripts/record-benchmark.py bench-catalogue
import datetime, json, os, platform, random, socket, statistics, subprocess, sys, time, urllib.request

work, products, searches, pg_url = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
csv_path = os.path.join(work, "products.csv")
size = os.path.getsize(csv_path)
exe = os.path.abspath("target/release/smeproc")

def run(cmd, env=None, stdin=None):
    """Wall seconds and peak RSS (bytes) of one child, measured with wait4."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{cmd} failed: {proc.stderr.read().decode()}")
    return wall, usage.ru_maxrss * 1024, proc.stdout.read().decode()

def smeproc_env(url):
    return dict(os.environ, DATABASE_URL=url, SMEPROC_LOG="warn")

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close(); return port

QUERIES = [("打印机", "A0202"), ("计算机", "A0201"), ("办公椅", "A05"), ("复印纸", "A09"),
           ("签字笔", "A09"), ("交换机", "A0203"), ("食用植物油", "A15"), ("维修服务", "C"),
           ("联想台式", "A02"), ("激光打印机", "A020201")]

def search_figures(url):
    port = free_port()
    server = subprocess.Popen([exe, "serve", "--bind", f"127.0.0.1:{port}"], env=smeproc_env(url),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(base + "/ready", timeout=1); break
            except Exception:
                time.sleep(0.1)
        rng = random.Random(1)
        def get(path):
            t = time.perf_counter()
            body = urllib.request.urlopen(base + path, timeout=30).read()
            return time.perf_counter() - t, json.loads(body)
        for q, c in QUERIES:  # warm-up
            get(f"/api/v1/products?q={urllib.parse.quote(q)}&category={c}")
        times, hits = [], 0
        for _ in range(searches):
            q, c = rng.choice(QUERIES)
            t, page = get(f"/api/v1/products?q={urllib.parse.quote(q)}&category={c}&limit=20")
            times.append(t); hits += len(page["items"])
        times.sort()
        pct = lambda p: times[min(len(times) - 1, int(p * len(times)))] * 1000
        # 50 pages deep by cursor, newest first, then the same with price order.
        deep = {}
        for sort in ("newest", "price"):
            cursor, t = "", 0
            for _ in range(50):
                t, page = get(f"/api/v1/products?q={urllib.parse.quote('打印机')}&category=A0202&sort={sort}&limit=20&cursor={cursor}")
                cursor = page["next_cursor"] or ""
            deep[sort] = t * 1000
        # A two-character keyword has no trigram: it is a scan (reported, not hidden).
        deep["short"] = min(get(f"/api/v1/products?q={urllib.parse.quote('服务')}&category=C")[0] for _ in range(3)) * 1000
        deep["price1"] = min(get(f"/api/v1/products?q={urllib.parse.quote('打印机')}&category=A0202&sort=price")[0] for _ in range(3)) * 1000
        return pct(0.5), pct(0.95), pct(0.99), hits / searches, deep
    finally:
        server.terminate(); server.wait()

lines = []
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
lines.append(f"- {datetime.date.today()}, {cpu}, {os.cpu_count()} cores; {products} products ({size / 1e6:.0f} MB CSV) from `scripts/gen-catalogue`, {os.path.basename(work)} on the same disk for both sides; one run each.")

def backend(name, url, anchor_cmd, anchor_label):
    run([exe, "migrate"], env=smeproc_env(url))
    run([exe, "enterprise", "import", os.path.join(work, "enterprises.csv")], env=smeproc_env(url))
    wall, peak, out = run([exe, "catalogue", "import", csv_path], env=smeproc_env(url))
    awall, _, _ = run(anchor_cmd)
    ratio = wall / awall
    p50, p95, p99, hits, deep = search_figures(url)
    lines.extend([
        f"- **{name}** import: smeproc {wall:.1f} s ({products / wall:,.0f} rows/s) vs {anchor_label} {awall:.1f} s → ratio **{ratio:.2f}** (target ≤ 2.0: {'met' if ratio <= 2.0 else 'MISSED'}); peak memory **{peak / 1e6:.0f} MB** (target < 300 MB: {'met' if peak < 300e6 else 'MISSED'}).",
        f"- **{name}** search over HTTP, {searches} sequential keyword + category queries (avg {hits:.0f} hits on the page): p50 {p50:.1f} ms, **p95 {p95:.1f} ms** (target < 10 ms: {'met' if p95 < 10 else 'MISSED'}), p99 {p99:.1f} ms; page 50 by cursor: newest {deep['newest']:.1f} ms, by price {deep['price']:.1f} ms; first page by price (all matches sorted) {deep['price1']:.0f} ms; two-character keyword `服务` (no trigram: scan) {deep['short']:.0f} ms.",
    ])

sqlite_db = os.path.join(work, "smeproc.db")
bare_db = os.path.join(work, "bare.db")
backend("SQLite", f"sqlite://{sqlite_db}", ["sqlite3", bare_db, f".import --csv {csv_path} t"], "`sqlite3 .import`")

subprocess.run(["psql", pg_url, "-qc", "CREATE DATABASE smeproc_bench"], check=True)
subprocess.run(["psql", pg_url, "-qc", "CREATE DATABASE bare"], check=True)
bare_url = pg_url.rsplit("/", 1)[0] + "/bare"
cols = ", ".join(f"{c} text" for c in ["supplier_credit_code", "sku", "name", "category_code", "spec", "unit", "price", "manufacturer_credit_code", "region", "currency"])
subprocess.run(["psql", bare_url, "-qc", f"CREATE TABLE t ({cols})"], check=True)
backend("PostgreSQL", pg_url.rsplit("/", 1)[0] + "/smeproc_bench",
        ["psql", bare_url, "-qc", f"\\copy t FROM '{csv_path}' CSV HEADER"], "`psql \\copy`")
print("\n".join(lines))
PY
