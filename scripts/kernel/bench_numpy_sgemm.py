"""Time numpy (OpenBLAS) float32 GEMM for comparison with attention/kernel.

Run with OpenBLAS's own CPU detection (the repo environment may pin
OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, which we clear for this measurement):

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 scripts/kernel/bench_numpy_sgemm.py

Prints, for each shape of BenchmarkSgemm, the median wall-clock GFLOPS over
several repetitions and the median GFLOPS per second of thread CPU time
(time.thread_time), which is what BenchmarkSgemm's cpuGFLOPS reports: on a
shared, oversubscribed machine the wall-clock figure mostly measures the
scheduler. OpenBLAS runs single-threaded (OPENBLAS_NUM_THREADS=1 unless set),
like Sgemm.
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
    times, cpus = [], []
    for _ in range(reps):
        t0, c0 = time.perf_counter(), time.thread_time()
        for _ in range(iters):
            np.matmul(a, bb, out=c)
        times.append((time.perf_counter() - t0) / iters)
        cpus.append((time.thread_time() - c0) / iters)
    times.sort()
    cpus.sort()
    flop = 2.0 * m * n * k
    return flop / times[len(times) // 2] / 1e9, flop / cpus[len(cpus) // 2] / 1e9


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
        wall, cpu = bench(m, n, k, t)
        print(f"{name:20s} m={m:5d} n={n:5d} k={k:5d} transB={t!s:5s} {wall:7.1f} GFLOPS {cpu:7.1f} cpuGFLOPS")


if __name__ == "__main__":
    main()
