#!/usr/bin/env python3
"""Writes a deterministic `smeproc evaluate` input with N bids (default 100 000).

Usage: scripts/gen-lot.py [N] [OUTPUT]   (OUTPUT default: stdout)
A comprehensive xinjiang-2011 goods lot: single firms of every scale across Xinjiang and
elsewhere, one bid in five a consortium, some subcontracts, three evaluators, 2 % unqualified.
"""
import json
import random
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
out = open(sys.argv[2], "w") if len(sys.argv) > 2 else sys.stdout
rng = random.Random(20261127)
scales = ["micro", "small", "medium", "large"]
regions = ["653101", "650102", "652801", "110108", "653201", "654002", "650103", "440305"]


def firm(i, share=None):
    f = {"name": f"企业{i}", "scale": rng.choice(scales), "region": rng.choice(regions)}
    if share is not None:
        f["share_pct"] = share
    return f


bids = []
for i in range(n):
    bid = {"id": f"B{i:06d}", "price": f"{rng.randint(9_000_000, 11_000_000)}.{rng.randint(0, 99):02d}"}
    if rng.random() < 0.2:
        share = rng.randint(20, 80)
        bid["consortium"] = [firm(2 * i, share), firm(2 * i + 1, 100 - share)]
    else:
        bid["bidder"] = firm(i)
        if rng.random() < 0.1:
            bid["subcontracts"] = [{"name": f"分包{i}", "scale": rng.choice(scales), "share_pct": rng.randint(10, 40)}]
    bid["technical"] = [rng.randint(200, 500) / 10 for _ in range(3)]
    bid["commercial"] = [rng.randint(100, 200) / 10 for _ in range(3)]
    if rng.random() < 0.02:
        bid["qualified"] = False
    bids.append(bid)

lot = {
    "policy": "xinjiang-2011",
    "project": {
        "category": "goods",
        "method": "comprehensive",
        "reserved_for_smes": False,
        "weights": {"price": 30, "technical": 50, "commercial": 20},
        "price_deduction_pct": 8,
        "minority_bonus_pct": 2,
    },
    "bids": bids,
}
json.dump(lot, out, ensure_ascii=False)
out.write("\n")
