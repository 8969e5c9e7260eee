#!/usr/bin/python3
"""Fixtures for multi-head attention parity and the safetensors reader.

Run from the repository root with Debian's python3-torch (no safetensors
package needed: files are written by hand):

    /usr/bin/python3 scripts/mha/make_fixtures.py

Writes
  attention/testdata/mha/index.json       one entry per case (options, lengths)
  attention/testdata/mha/<case>.safetensors
      the nn.MultiheadAttention state_dict (optionally under a prefix, in the
      case's weight dtype), and per sequence k: "x.k" [n, d] input and "y.k"
      [n, d] torch output (float32 or float64, the compute dtype); probability
      cases also hold "p_heads" [H, n, n] and "p_mean" [n, n] (float64).
  io/safetensors/testdata/dtypes.safetensors
      special values in F32, F64, F16, BF16 with their exact float64 values
      under "expect.<name>", a scalar, an empty tensor and __metadata__.
  io/safetensors/testdata/mha_state.safetensors
      a real nn.MultiheadAttention(8, 2) state_dict (F32).

The reference is torch.nn.MultiheadAttention(d, H, bias=..., batch_first=True)
in eval mode with query = key = value = x. Causal and window options become a
boolean attn_mask (True = not allowed). F16/BF16 weights are stored in that
dtype and the reference computes in float32 with the upcast weights; float64
cases run the module in double. Deterministic: torch.manual_seed per case.
"""
import json
import os
import struct
import sys

import numpy as np
import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MHA_DIR = os.path.join(ROOT, "attention", "testdata", "mha")
ST_DIR = os.path.join(ROOT, "io", "safetensors", "testdata")


def raw(t, dtype):
    """Little-endian bytes of tensor t stored as safetensors dtype."""
    t = t.detach().cpu()
    if dtype == "F32":
        return t.to(torch.float32).numpy().astype("<f4").tobytes()
    if dtype == "F64":
        return t.to(torch.float64).numpy().astype("<f8").tobytes()
    if dtype == "F16":
        return t.to(torch.float64).numpy().astype("<f2").tobytes()
    if dtype == "BF16":
        return t.to(torch.bfloat16).view(torch.int16).numpy().astype("<i2").tobytes()
    raise ValueError(dtype)


def rounded(t, dtype):
    """t rounded to dtype and widened back to float64: what a reader sees."""
    t = t.detach().cpu()
    if dtype == "F32":
        return t.to(torch.float32).to(torch.float64)
    if dtype == "F64":
        return t.to(torch.float64)
    if dtype == "F16":
        return torch.from_numpy(t.to(torch.float64).numpy().astype(np.float16).astype(np.float64))
    if dtype == "BF16":
        return t.to(torch.bfloat16).to(torch.float64)
    raise ValueError(dtype)


def write_safetensors(path, tensors, metadata=None):
    """tensors: list of (name, dtype, shape, bytes)."""
    header, blobs, off = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, dtype, shape, data in tensors:
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [off, off + len(data)]}
        off += len(data)
        blobs.append(data)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def mask(n, causal, window):
    """Boolean attn_mask, True where attention is not allowed, or None."""
    if not causal and window < 0:
        return None
    i = torch.arange(n).unsqueeze(1)
    j = torch.arange(n).unsqueeze(0)
    m = torch.zeros(n, n, dtype=torch.bool)
    if causal:
        m |= j > i
    if window >= 0:
        m |= (i - j).abs() > window
    return m


# name, d, heads, bias, form, weight dtype, x dtype, causal, window, lengths, prefix, x scale, probs
CASES = [
    ("d8h1_f32", 8, 1, True, "packed", "F32", "f32", False, -1, [1, 2, 17, 64], "", 1.0, False),
    ("d8h2_f64_causal_qkv", 8, 2, False, "qkv", "F64", "f64", True, -1, [1, 2, 17, 64, 257], "", 2.0, False),
    ("d8h8_prefix_causal_w3", 8, 8, True, "packed", "F32", "f32", True, 3, [17, 600], "layers.0.attn", 1.0, False),
    ("d32h8_f16_w5", 32, 8, True, "packed", "F16", "f32", False, 5, [17, 257, 600], "", 1.0, False),
    ("d32h2_bf16_causal_w16", 32, 2, True, "packed", "BF16", "f32", True, 16, [2, 64, 600], "", 3.0, False),
    ("d96h3_f64", 96, 3, True, "packed", "F64", "f64", False, -1, [1, 17, 257, 600], "", 1.0, False),
    ("d96h6_qkv_causal", 96, 6, True, "qkv", "F32", "f32", True, -1, [64, 600], "", 2.0, False),
    ("d96h8_w0_f64", 96, 8, False, "packed", "F32", "f64", False, 0, [17, 64], "", 1.0, False),
    ("d96h2_f64_causal_w40", 96, 2, True, "packed", "F64", "f64", True, 40, [257, 300], "", 1.0, False),
    ("d384h6_f32", 384, 6, True, "packed", "F32", "f32", False, -1, [1, 64, 257], "", 1.0, False),
    ("d384h8_f16_causal", 384, 8, True, "packed", "F16", "f32", True, -1, [17, 600], "", 1.0, False),
    ("d384h1_bf16_qkv_w32", 384, 1, False, "qkv", "BF16", "f32", False, 32, [2, 100], "", 1.0, False),
    ("probs_d8h2_causal_w4", 8, 2, True, "packed", "F64", "f64", True, 4, [17], "", 2.0, True),
    ("probs_d32h8", 32, 8, True, "packed", "F64", "f64", False, -1, [9], "", 2.0, True),
]


def make_case(seed, name, d, heads, bias, form, wdtype, xdtype, causal, window, lengths, prefix, xscale, probs):
    torch.manual_seed(seed)
    mha = torch.nn.MultiheadAttention(d, heads, bias=bias, batch_first=True)
    if bias:  # torch initialises biases to zero; make them matter
        with torch.no_grad():
            mha.in_proj_bias.normal_(0, 0.1)
            mha.out_proj.bias.normal_(0, 0.1)
    sd = {k: v.detach().clone() for k, v in mha.state_dict().items()}
    # Round the weights to the stored dtype; the reference uses exactly those.
    tensors = []
    pre = prefix + "." if prefix else ""
    stored = {}
    for k, v in sd.items():
        stored[k] = rounded(v, wdtype)
    if form == "qkv":
        w = stored.pop("in_proj_weight")
        stored["q_proj_weight"], stored["k_proj_weight"], stored["v_proj_weight"] = w[:d], w[d:2 * d], w[2 * d:]
    for k in sorted(stored):
        tensors.append((pre + k, wdtype, stored[k].shape, raw(stored[k], wdtype)))
    # Load the rounded weights back into the module in the compute dtype.
    cdt = torch.float64 if xdtype == "f64" else torch.float32
    mha = mha.to(cdt)
    with torch.no_grad():
        for k, v in sd.items():
            r = rounded(v, wdtype).to(cdt)
            dict(mha.named_parameters())[k].copy_(r)
    mha.eval()
    xtype = "F64" if xdtype == "f64" else "F32"
    for idx, n in enumerate(lengths):
        x = (torch.randn(1, n, d, dtype=torch.float64) * xscale).to(cdt)
        m = mask(n, causal, window)
        with torch.no_grad():
            y, _ = mha(x, x, x, need_weights=False, attn_mask=m)
        tensors.append((f"x.{idx}", xtype, [n, d], raw(x[0], xtype)))
        tensors.append((f"y.{idx}", xtype, [n, d], raw(y[0], xtype)))
        if probs:
            with torch.no_grad():
                _, ph = mha(x, x, x, need_weights=True, attn_mask=m, average_attn_weights=False)
                _, pm = mha(x, x, x, need_weights=True, attn_mask=m, average_attn_weights=True)
            tensors.append(("p_heads", "F64", [heads, n, n], raw(ph[0], "F64")))
            tensors.append(("p_mean", "F64", [n, n], raw(pm[0], "F64")))
    write_safetensors(os.path.join(MHA_DIR, name + ".safetensors"), tensors, {"format": "pt"})
    return {"name": name, "file": name + ".safetensors", "d": d, "heads": heads, "bias": bias,
            "form": form, "weight_dtype": wdtype, "x_dtype": xdtype, "causal": causal,
            "window": window, "lengths": lengths, "prefix": prefix, "probs": probs}


def make_dtypes():
    special = torch.tensor([0.0, -0.0, 1.0, -2.5, 65504.0, 1e-3, 6.1e-5, 5.96e-8, 3e-6, 1e-40,
                            3.4e38, 1.5e-45, float("inf"), float("-inf"), float("nan"), 70000.0,
                            1.0 / 3.0, -7.123456789], dtype=torch.float64)
    tensors = []
    for dt in ["F32", "F64", "F16", "BF16"]:
        name = "special_" + dt.lower()
        tensors.append((name, dt, [len(special)], raw(special, dt)))
        tensors.append(("expect." + name, "F64", [len(special)], raw(rounded(special, dt), "F64")))
    m = torch.arange(6, dtype=torch.float64).reshape(2, 3) - 2.5
    for dt in ["F32", "F64", "F16", "BF16"]:
        tensors.append(("matrix_" + dt.lower(), dt, [2, 3], raw(m, dt)))
    tensors.append(("scalar", "F32", [], raw(torch.tensor(4.25), "F32")))
    tensors.append(("empty", "F32", [0, 3], b""))
    write_safetensors(os.path.join(ST_DIR, "dtypes.safetensors"), tensors,
                      {"format": "pt", "source": "scripts/mha/make_fixtures.py"})


def make_state():
    torch.manual_seed(7)
    mha = torch.nn.MultiheadAttention(8, 2, batch_first=True)
    tensors = [(k, "F32", list(v.shape), raw(v, "F32")) for k, v in sorted(mha.state_dict().items())]
    write_safetensors(os.path.join(ST_DIR, "mha_state.safetensors"), tensors, {"format": "pt"})


def main():
    np.seterr(over="ignore")  # F16 special values overflow to inf on purpose
    os.makedirs(MHA_DIR, exist_ok=True)
    os.makedirs(ST_DIR, exist_ok=True)
    index = []
    for seed, case in enumerate(CASES):
        index.append(make_case(1000 + seed, *case))
        print("wrote", case[0], file=sys.stderr)
    with open(os.path.join(MHA_DIR, "index.json"), "w") as f:
        json.dump({"torch": torch.__version__, "cases": index}, f, indent=1)
        f.write("\n")
    make_dtypes()
    make_state()


if __name__ == "__main__":
    main()
