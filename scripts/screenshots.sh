#!/usr/bin/env bash
# A PNG of each main page, for review: runs the browser tests (headless Chromium against the app
# with the demo dataset) and keeps what they see.
#
# Usage: scripts/screenshots.sh [OUT_DIR]        default: target/screenshots
# Needs Debian's chromium and chromium-driver (scripts/test installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-target/screenshots}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
rm -f "$out"/*.png
SMEPROC_SCREENSHOTS="$out" cargo test --quiet --test browser
echo "screenshots in $out:"
ls -1 "$out"
