#!/usr/bin/python3
"""Time scipy.ndimage.gaussian_filter1d on the product benchmark: 200 series x
50,000 float64 values, sigma 3 and 50 (truncate 4, mode reflect), best of 3.

    /usr/bin/python3 scripts/gaussian/bench_scipy.py [--repeat 3] [--series 200] [--length 50000]

Two ways: one call with axis=-1 on the 200 x 50,000 array (output buffer reused
via output=), and a Python loop calling gaussian_filter1d once per series (fresh
output each time, as a per-series pipeline would). Prints seconds per pass.
Compare with `go test ./attention/ -run XXX -bench Smooth64` (ns/op is one
series: multiply by 200).
"""
import argparse
import time

import numpy as np
import scipy
from scipy.ndimage import gaussian_filter1d


def best(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--series", type=int, default=200)
    ap.add_argument("--length", type=int, default=50000)
    a = ap.parse_args()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((a.series, a.length))
    out = np.empty_like(x)
    print(f"scipy {scipy.__version__} numpy {np.__version__}: {a.series} x {a.length} float64, best of {a.repeat}")
    for sigma in (3.0, 50.0):
        t2d = best(lambda: gaussian_filter1d(x, sigma, axis=-1, output=out), a.repeat)
        tloop = best(lambda: [gaussian_filter1d(row, sigma) for row in x], a.repeat)
        vals = a.series * a.length
        print(f"sigma={sigma:g}: axis=-1 2-D {t2d:.3f} s ({vals / t2d / 1e6:.1f} Mvalues/s), "
              f"per-series loop {tloop:.3f} s ({vals / tloop / 1e6:.1f} Mvalues/s)")


if __name__ == "__main__":
    main()
