#!/usr/bin/python3
"""numpy (OpenBLAS) reference timing of the MHA that `contextualize attend` computes.

Default: 256 sequences x 256 tokens, d = 384, 6 heads, float32, no mask, with
in/out projections and biases, everything in memory (the `attend` bench and
BenchmarkForward32). Prints the best of 3 runs in seconds and per sequence.

--length/--d/--heads change the shape; --per-head computes the scores of one
head at a time (an n x n float32 matrix per head instead of H of them), as
numpy must for long sequences: the `long` bench (1 x 16,384 tokens, d = 256,
4 heads: 1 GiB of scores per head) and BenchmarkForward32Long.

    /usr/bin/python3 scripts/mha/bench_numpy.py [sequences] [--length N] [--d D]
        [--heads H] [--per-head]
"""
import argparse
import time

import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument("sequences", type=int, nargs="?", default=256)
ap.add_argument("--length", type=int, default=256)
ap.add_argument("--d", type=int, default=384)
ap.add_argument("--heads", type=int, default=6)
ap.add_argument("--per-head", action="store_true")
args = ap.parse_args()
B, N, D, H = args.sequences, args.length, args.d, args.heads
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


def softmax_(s):
    s -= s.max(axis=-1, keepdims=True)
    np.exp(s, out=s)
    s /= s.sum(axis=-1, keepdims=True)


def mha(seq):
    qkv = seq @ w_in_t + b_in                                  # [N, 3D]
    q = (qkv[:, :D] * scale).reshape(N, H, DH).transpose(1, 0, 2)
    k = qkv[:, D:2 * D].reshape(N, H, DH).transpose(1, 2, 0)
    v = qkv[:, 2 * D:].reshape(N, H, DH).transpose(1, 0, 2)
    if args.per_head:
        o = np.empty((N, D), np.float32)
        for h in range(H):
            s = q[h] @ k[h]                                    # [N, N]
            softmax_(s)
            o[:, h * DH:(h + 1) * DH] = s @ v[h]
            del s
    else:
        s = q @ k                                              # [H, N, N]
        softmax_(s)
        o = (s @ v).transpose(1, 0, 2).reshape(N, D)
    return o @ w_out_t + b_out


def run():
    out = np.empty_like(x)
    for i in range(B):
        out[i] = mha(x[i])
    return out


best, best_cpu = float("inf"), float("inf")
for _ in range(3):
    t0, c0 = time.perf_counter(), time.process_time()
    run()
    best = min(best, time.perf_counter() - t0)
    best_cpu = min(best_cpu, time.process_time() - c0)  # all threads, user + system
flops = B * (8 * N * D * D + 4 * N * N * D)
print(f"numpy MHA: {B} sequences x {N} tokens, d={D}, {H} heads, float32"
      f"{', one head at a time' if args.per_head else ''}: "
      f"best of 3 {best:.3f} s, {best / B * 1e3:.3f} ms/sequence, {B / best:.1f} seq/s, "
      f"{flops / best * 1e-9:.1f} GFLOPS; least cpu of 3 {best_cpu:.3f} s")
