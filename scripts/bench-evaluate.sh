#!/usr/bin/env bash
# End-to-end evaluation benchmark (issue: 100 000 bids).
#   times `smeproc evaluate FILE > /dev/null` against python3 merely parsing the same FILE
#   (json.load), alternating runs in the same script run; reports medians, their ratio
#   (target < 1.0) and smeproc's peak memory against the file size (target < 3x).
# Usage: scripts/bench-evaluate.sh [BIDS] [RUNS]     (defaults 100000, 5)
# Writes the figures into docs/benchmarks.md between the bench-evaluate markers.
set -euo pipefail
cd "$(dirname "$0")/.."
BIDS=${1:-100000}
RUNS=${2:-5}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

cargo build --release --quiet
python3 scripts/gen-lot.py "$BIDS" "$WORK/lot.json"

python3 - "$WORK/lot.json" "$RUNS" "$BIDS" <<'PY' | tee /dev/stderr | scripts/record-benchmark.py bench-evaluate
import os, statistics, subprocess, sys, time, datetime, platform

path, runs, bids = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
size = os.path.getsize(path)
smeproc = ["target/release/smeproc", "evaluate", path]
# The CONTRACTS.md shape alone: English explanations only, no `explanation_zh`.
english = ["target/release/smeproc", "evaluate", path, "--lang", "en"]
anchor = [sys.executable, "-c", "import json,sys; json.load(open(sys.argv[1]))", path]

def run(cmd):
    """Wall seconds and peak RSS (bytes) of one child, measured with wait4."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{cmd[0]} failed: {proc.stderr.read().decode()}")
    return wall, usage.ru_maxrss * 1024

ours, theirs, peaks, en, en_peaks = [], [], [], [], []
for _ in range(runs):
    w, peak = run(smeproc); ours.append(w); peaks.append(peak)
    w, _ = run(anchor); theirs.append(w)
    w, peak = run(english); en.append(w); en_peaks.append(peak)
ours_med, theirs_med = statistics.median(ours), statistics.median(theirs)
en_med = statistics.median(en)
ratio = ours_med / theirs_med
peak = max(peaks)
mem_ratio = peak / size
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
lines = [
    f"- {datetime.date.today()}, {cpu}, {os.cpu_count()} cores; {bids} bids, file {size / 1e6:.1f} MB; median of {runs} alternating runs.",
    f"- `smeproc evaluate` (both languages, the default): {ours_med:.3f} s (runs {', '.join(f'{x:.2f}' for x in ours)}).",
    f"- `smeproc evaluate --lang en` (CONTRACTS.md shape alone): {en_med:.3f} s, ratio {en_med / theirs_med:.2f}, peak {max(en_peaks) / 1e6:.1f} MB.",
    f"- anchor, python3 `json.load` only: {theirs_med:.3f} s (runs {', '.join(f'{x:.2f}' for x in theirs)}).",
    f"- ratio {ratio:.2f} (target < 1.0: {'met' if ratio < 1.0 else 'MISSED'}).",
    f"- peak memory {peak / 1e6:.1f} MB = {mem_ratio:.2f}x the file (target < 3x: {'met' if mem_ratio < 3.0 else 'MISSED'}).",
]
print("\n".join(lines))
PY
