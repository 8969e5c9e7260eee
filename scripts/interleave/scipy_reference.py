#!/usr/bin/python3
"""scipy references for the interleaved fixtures of testdata/interleave.

Run from the repository root after scripts/interleave/make_fixtures.mjs, with Debian's scipy
(apt-get install python3-scipy):

    /usr/bin/python3 scripts/interleave/scipy_reference.py

It reads testdata/interleave/readings.json (each series' values in time order, as DuckDB
stored them) and writes testdata/interleave/scipy_reference.json: for each case, each series'
gaussian_filter1d in time order, as float.hex strings (exact round trip).
"""
import json
import os

import numpy as np
import scipy
from scipy.ndimage import gaussian_filter1d

DIR = os.path.join("testdata", "interleave")
CASES = [
    {"name": "sigma3_reflect", "sigma": 3.0, "mode": "reflect"},
    {"name": "sigma1.5_nearest", "sigma": 1.5, "mode": "nearest"},
]

with open(os.path.join(DIR, "readings.json")) as f:
    series = json.load(f)
out = {"scipy": scipy.__version__, "cases": []}
for c in CASES:
    res = {}
    for sid, vals in sorted(series.items()):
        x = np.asarray(vals, dtype=np.float64)
        res[sid] = [float(v).hex() for v in gaussian_filter1d(x, c["sigma"], mode=c["mode"], truncate=4.0)]
    out["cases"].append({**c, "series": res})
with open(os.path.join(DIR, "scipy_reference.json"), "w") as f:
    json.dump(out, f)
print("wrote", os.path.join(DIR, "scipy_reference.json"))
