#!/usr/bin/python3
"""torch references for the interleaved polars fixture of testdata/interleave.

Run from the repository root after scripts/interleave/make_fixtures.mjs, with torch:

    /usr/bin/python3 scripts/interleave/torch_reference.py

It reads testdata/interleave/tokens.json (each sequence's float32 vectors in position order)
and writes testdata/interleave/torch_reference.json: nn.MultiheadAttention (d = 8, 2 heads,
self-attention, identity projections and zero biases: `contextualize attend --weights identity
--heads 2`) of each sequence, in float32, as float.hex strings.
"""
import json
import os

import torch

DIR = os.path.join("testdata", "interleave")
D, HEADS = 8, 2

with open(os.path.join(DIR, "tokens.json")) as f:
    tokens = json.load(f)
mha = torch.nn.MultiheadAttention(D, HEADS, bias=True, batch_first=True)
with torch.no_grad():
    mha.in_proj_weight.copy_(torch.cat([torch.eye(D)] * 3))
    mha.in_proj_bias.zero_()
    mha.out_proj.weight.copy_(torch.eye(D))
    mha.out_proj.bias.zero_()
out = {"torch": torch.__version__, "d": D, "heads": HEADS, "sequences": {}}
with torch.no_grad():
    for sid, vecs in sorted(tokens.items()):
        x = torch.tensor([vecs], dtype=torch.float32)
        y, _ = mha(x, x, x, need_weights=False)
        out["sequences"][sid] = [float(v).hex() for v in y[0].flatten().tolist()]
with open(os.path.join(DIR, "torch_reference.json"), "w") as f:
    json.dump(out, f)
print("wrote", os.path.join(DIR, "torch_reference.json"))
