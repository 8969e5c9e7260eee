#!/usr/bin/python3
"""numpy (OpenBLAS) reference timing of the MHA that BenchmarkForward32 runs.

256 sequences x 256 tokens, d = 384, 6 heads, float32, no mask, with in/out
projections and biases, everything in memory. Prints the best of 3 runs in
seconds and per sequence, to set against `go test ./attention/ -run XXX
-bench Forward32` (ns/op there is one sequence).

    /usr/bin/python3 scripts/mha/bench_numpy.py [sequences]
"""
import sys
import time

import numpy as np

B = int(sys.argv[1]) if len(sys.argv) > 1 else 256
N, D, H = 256, 384, 6
DH = D // H

rng = np.random.default_rng(0)
x = rng.standard_normal((B, N, D), dtype=np.float32)
a = np.sqrt(6.0 / (4 * D))
w_in = rng.uniform(-a, a, (3 * D, D)).astype(np.float32)
b_in = np.zeros(3 * D, np.float32)
w_out = rng.uniform(-1 / np.sqrt(D), 1 / np.sqrt(D), (D, D)).astype(np.float32)
b_out = np.zeros(D, np.float32)
w_in_t = np.ascontiguousarray(w_in.T)
w_out_t = np.ascontiguousarray(w_out.T)
scale = np.float32(1 / np.sqrt(DH))


def mha(seq):
    qkv = seq @ w_in_t + b_in                                  # [N, 3D]
    q = (qkv[:, :D] * scale).reshape(N, H, DH).transpose(1, 0, 2)
    k = qkv[:, D:2 * D].reshape(N, H, DH).transpose(1, 2, 0)
    v = qkv[:, 2 * D:].reshape(N, H, DH).transpose(1, 0, 2)
    s = q @ k                                                  # [H, N, N]
    s -= s.max(axis=-1, keepdims=True)
    np.exp(s, out=s)
    s /= s.sum(axis=-1, keepdims=True)
    o = (s @ v).transpose(1, 0, 2).reshape(N, D)
    return o @ w_out_t + b_out


def run():
    out = np.empty_like(x)
    for i in range(B):
        out[i] = mha(x[i])
    return out


best = float("inf")
for _ in range(3):
    t0 = time.perf_counter()
    run()
    best = min(best, time.perf_counter() - t0)
print(f"numpy MHA: {B} sequences x {N} tokens, d={D}, {H} heads, float32: "
      f"best of 3 {best:.3f} s, {best / B * 1e3:.3f} ms/sequence, {B / best:.1f} seq/s")
