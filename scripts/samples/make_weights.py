#!/usr/bin/python3
"""Write samples/mha_d32_h4.safetensors: the state_dict of a PyTorch
nn.MultiheadAttention(embed_dim=32, num_heads=4), float32, reproducible (torch.manual_seed).

PyTorch initialises both biases to zero; they are then set to small uniform values
(same generator) so that the bias path is exercised by anyone testing against these weights.

Tensor names, as in the state_dict:
  in_proj_weight  [96, 32]   rows: Wq; Wk; Wv
  in_proj_bias    [96]
  out_proj.weight [32, 32]
  out_proj.bias   [32]

The safetensors format is written by hand (the safetensors package is not needed):
8-byte little-endian header length N, N bytes of JSON header
{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}
padded with spaces to a multiple of 8, then the raw little-endian tensor bytes.
The file is read back and checked against the module before it is kept.

Usage: /usr/bin/python3 scripts/samples/make_weights.py [OUT_DIR]   (default: samples/)
Also writes nothing else; needs torch (Debian: python3-torch).
"""
import json
import os
import struct
import sys

import numpy as np
import torch

D, HEADS, SEED = 32, 4, 20240601


def build():
    torch.manual_seed(SEED)
    m = torch.nn.MultiheadAttention(D, HEADS, batch_first=True)
    with torch.no_grad():
        m.in_proj_bias.uniform_(-0.1, 0.1)
        m.out_proj.bias.uniform_(-0.1, 0.1)
    m.eval()
    return m


def to_safetensors(tensors, metadata):
    header, blobs, off = {}, [], 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name].detach().cpu().numpy().astype("<f4"))
        b = a.tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    header["__metadata__"] = metadata
    h = json.dumps(header, separators=(",", ":"), sort_keys=True).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + b"".join(blobs)


def read_safetensors(data):
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    header.pop("__metadata__", None)
    body = data[8 + n :]
    out = {}
    for name, info in header.items():
        b, e = info["data_offsets"]
        assert info["dtype"] == "F32"
        out[name] = np.frombuffer(body[b:e], dtype="<f4").reshape(info["shape"])
    return out


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "samples")
    m = build()
    sd = m.state_dict()
    assert sorted(sd) == ["in_proj_bias", "in_proj_weight", "out_proj.bias", "out_proj.weight"], sorted(sd)
    meta = {
        "format": "pt",
        "module": "torch.nn.MultiheadAttention(embed_dim=32, num_heads=4, batch_first=True)",
        "seed": str(SEED),
        "generator": "scripts/samples/make_weights.py",
    }
    data = to_safetensors(sd, meta)
    back = read_safetensors(data)
    for k, v in sd.items():
        assert back[k].shape == tuple(v.shape), k
        assert np.array_equal(back[k], v.numpy()), k

    path = os.path.join(out_dir, "mha_d32_h4.safetensors")
    tmp = os.path.join(out_dir, ".mha_d32_h4.safetensors.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
    print(f"wrote {path}: {len(data)} bytes, " + ", ".join(f"{k} {list(v.shape)}" for k, v in sorted(sd.items())))


if __name__ == "__main__":
    main()
