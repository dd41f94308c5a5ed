#!/usr/bin/env python3
"""Replaces the block between `<!-- NAME:start -->` and `<!-- NAME:end -->` in
docs/benchmarks.md with the lines read from standard input (the bench scripts call this).

Usage: ... | scripts/record-benchmark.py NAME
"""
import re
import sys

name = sys.argv[1]
lines = sys.stdin.read().strip()
doc = "docs/benchmarks.md"
text = open(doc, encoding="utf-8").read()
block = f"<!-- {name}:start -->\n{lines}\n<!-- {name}:end -->"
text, n = re.subn(rf"<!-- {name}:start -->.*?<!-- {name}:end -->", lambda _: block, text, flags=re.S)
if n != 1:
    sys.exit(f"{doc} has no {name} markers")
open(doc, "w", encoding="utf-8").write(text)
print(f"(written into {doc})")
