"""Time numpy (OpenBLAS) float32 GEMM for comparison with attention/kernel.

Run with OpenBLAS's own CPU detection (the repo environment may pin
OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, which we clear for this measurement):

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 scripts/kernel/bench_numpy_sgemm.py

Prints the median GFLOPS over several repetitions for each shape, using the
same shapes as BenchmarkSgemm.
"""
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np  # noqa: E402

SHAPES = [
    # (name, m, n, k, transB)
    ("cube64", 64, 64, 64, False),
    ("cube256", 256, 256, 256, False),
    ("cube384", 384, 384, 384, False),
    ("cube1024", 1024, 1024, 1024, False),
    ("cube1024T", 1024, 1024, 1024, True),
    ("proj256x1152x384T", 256, 1152, 384, True),
    ("qk64x256x64T", 64, 256, 64, True),
]


def bench(m, n, k, trans_b, budget=0.3, reps=7):
    rng = np.random.default_rng(1)
    a = rng.standard_normal((m, k), dtype=np.float32)
    b = rng.standard_normal((n, k) if trans_b else (k, n), dtype=np.float32)
    c = np.empty((m, n), dtype=np.float32)
    bb = b.T if trans_b else b
    np.matmul(a, bb, out=c)
    # iterations per rep so one rep takes ~budget/reps seconds
    t0 = time.perf_counter()
    np.matmul(a, bb, out=c)
    one = max(time.perf_counter() - t0, 1e-7)
    iters = max(1, int(budget / reps / one))
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(iters):
            np.matmul(a, bb, out=c)
        times.append((time.perf_counter() - t0) / iters)
    times.sort()
    med = times[len(times) // 2]
    return 2.0 * m * n * k / med / 1e9


def main():
    names = set(sys.argv[1:])
    print(f"numpy {np.__version__}, OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}")
    try:
        cfg = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        print("blas:", cfg.get("name"), cfg.get("version"))
    except Exception:  # older numpy
        pass
    for name, m, n, k, t in SHAPES:
        if names and name not in names:
            continue
        print(f"{name:20s} m={m:5d} n={n:5d} k={k:5d} transB={t!s:5s} {bench(m, n, k, t):7.1f} GFLOPS")


if __name__ == "__main__":
    main()
