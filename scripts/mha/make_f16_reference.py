#!/usr/bin/python3
"""float64 references from scipy and torch for the float16 interop fixtures.

Run from the repository root with Debian's python3-scipy and python3-torch:

    /usr/bin/python3 scripts/mha/make_f16_reference.py

Reads the values DuckDB read back from arrow-go's float16 files (testdata/interop/<name>.json,
written by scripts/interop/make_fixtures.mjs: values, sequence ids and order per row), groups
them into sequences in order-column order, and writes testdata/interop/f16_reference.json:
  smooth: scipy.ndimage.gaussian_filter1d(x, sigma=1.5) in float64 (mode reflect, truncate 4),
          per sequence and channel, for arrowgo_series_f16 (NaN where a null propagates) and
          arrowgo_list_f16;
  attend: torch.nn.MultiheadAttention(16, 4) with the weights of
          io/weights/testdata/torch.safetensors ("layers.0.attn."), in float64, over
          arrowgo_fixed_size_list_f16 (d = 16).
Each output is listed per sequence (in the fixture's sequence order) as a flat row-major list.
"""
import json
import os
import struct

import numpy as np
import torch
from scipy.ndimage import gaussian_filter1d

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
INTEROP = os.path.join(ROOT, "testdata", "interop")


def sequences(name):
    """[(id, n x d float64 array)] in first-appearance order, rows sorted by the order column."""
    e = json.load(open(os.path.join(INTEROP, name + ".json")))
    groups = {}
    for v, s, o in zip(e["values"], e["sequence"], e["order"]):
        v = np.nan if v is None else v
        groups.setdefault(s, []).append((o, np.atleast_1d(np.array(v, dtype=np.float64))))
    out = []
    for s, rows in groups.items():
        rows.sort(key=lambda r: r[0])
        out.append((s, np.stack([r[1] for r in rows])))
    return out


def load_state(path, prefix):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    sd = {}
    for k, v in header.items():
        if k == "__metadata__" or not k.startswith(prefix):
            continue
        a, b = v["data_offsets"]
        assert v["dtype"] == "F32"
        sd[k[len(prefix):]] = torch.from_numpy(np.frombuffer(data[a:b], dtype="<f4").reshape(v["shape"]).copy())
    return sd


def flat(a):
    return [None if np.isnan(x) else float(x) for x in np.asarray(a, dtype=np.float64).ravel()]


def main():
    ref = {"smooth": {"sigma": 1.5}, "attend": {"weights": "io/weights/testdata/torch.safetensors", "prefix": "layers.0.attn", "heads": 4}}
    for name in ["arrowgo_series_f16", "arrowgo_list_f16"]:
        ref["smooth"][name] = [flat(gaussian_filter1d(x, 1.5, axis=0, mode="reflect", truncate=4.0)) for _, x in sequences(name)]
    m = torch.nn.MultiheadAttention(16, 4, batch_first=True)
    m.load_state_dict(load_state(os.path.join(ROOT, "io", "weights", "testdata", "torch.safetensors"), "layers.0.attn."))
    m = m.double().train()  # dropout 0: train mode is the eval function, without torch 1.13's fused path
    outs = []
    with torch.no_grad():
        for _, x in sequences("arrowgo_fixed_size_list_f16"):
            xx = torch.from_numpy(x).unsqueeze(0)
            y, _ = m(xx, xx, xx, need_weights=False)
            outs.append(flat(y[0].numpy()))
    ref["attend"]["arrowgo_fixed_size_list_f16"] = outs
    with open(os.path.join(INTEROP, "f16_reference.json"), "w") as f:
        json.dump(ref, f, separators=(",", ":"))
        f.write("\n")
    print("wrote", os.path.join(INTEROP, "f16_reference.json"))


if __name__ == "__main__":
    main()
