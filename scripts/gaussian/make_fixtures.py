#!/usr/bin/python3
"""Reference vectors for attention's Gaussian smoothing (scipy parity).

Run from the repository root, with Debian's scipy (apt-get install python3-scipy):

    /usr/bin/python3 scripts/gaussian/make_fixtures.py

It writes attention/testdata/gaussian/*.json, deterministically (fixed seed).
Every array is stored as base64 of little-endian float64 ("f8") or int64 ("i8")
bytes, so values (NaN, Inf and -0.0 included) round-trip exactly.

Files:
  kernels.json   scipy's correlation weights (_gaussian_kernel1d reversed) per
                 (sigma, order, radius), to measure weight parity.
  positional.json  gaussian_filter1d cases: every mode, sigma, order, truncate /
                 radius, lengths 1..10000, constant/step/random/NaN/Inf inputs,
                 cval, d > 1 (axis 0), float32 inputs.
  interpolate.json NaN policy "interpolate": normalized convolution computed in
                 numpy with scipy's weights, in the same accumulation order.
  nadaraya.json  Nadaraya-Watson references over irregular int64 timestamps.
  exp.json       np.exp and the correctly rounded exp (decimal) on kernel-like
                 arguments; "numpy_svml" says whether numpy used SVML here
                 (x86-64 with AVX512_SKX), whose exp the Go code reproduces.
"""
import base64
import json
import os
import sys

import numpy as np
import scipy
from scipy.ndimage import gaussian_filter1d
from scipy.ndimage._filters import _gaussian_kernel1d

OUT = os.path.join("attention", "testdata", "gaussian")
rng = np.random.default_rng(20261126)


def b64(a, dtype="<f8"):
    return base64.b64encode(np.ascontiguousarray(a, dtype=dtype).tobytes()).decode()


def radius_of(sigma, truncate, radius):
    return radius if radius >= 0 else int(truncate * float(sigma) + 0.5)


def scipy_weights(sigma, order, r):
    return _gaussian_kernel1d(sigma, order, r)[::-1].copy()


def ext_index(i, n, mode):
    """Source index of position i of the extended line, None for constant."""
    if 0 <= i < n:
        return i
    if mode == "reflect":
        m = i % (2 * n)
        return m if m < n else 2 * n - 1 - m
    if mode == "mirror":
        if n == 1:
            return 0
        m = i % (2 * n - 2)
        return m if m < n else 2 * n - 2 - m
    if mode == "nearest":
        return 0 if i < 0 else n - 1
    if mode == "wrap":
        return i % n
    return None


def extend(x, r, mode, cval):
    n = len(x)
    out = np.empty(n + 2 * r)
    for k in range(-r, n + r):
        s = ext_index(k, n, mode)
        out[k + r] = cval if s is None else x[s]
    return out


def interpolate_ref(x, sigma, r, mode, cval, plain):
    """Normalized convolution where the window holds a NaN, scipy elsewhere.

    Same order as the Go code: num = x[i]*w[r]; for j=r..1 num += (x[i-j]+x[i+j])*w[r-j];
    vectorized over positions (numpy elementwise ops never fuse)."""
    n = len(x)
    w = scipy_weights(sigma, 0, r)
    e = extend(x, r, mode, cval)
    nan = np.isnan(e)
    z = np.where(nan, 0.0, e)
    m = np.where(nan, 0.0, 1.0)
    num = z[r:r + n] * w[r]
    den = m[r:r + n] * w[r]
    for j in range(r, 0, -1):
        num = num + (z[r - j:r - j + n] + z[r + j:r + j + n]) * w[r - j]
        den = den + (m[r - j:r - j + n] + m[r + j:r + j + n]) * w[r - j]
    with np.errstate(invalid="ignore", divide="ignore"):
        y = np.where(den == 0, np.nan, num / np.where(den == 0, 1.0, den))
    c = np.concatenate([[0], np.cumsum(nan)])
    has = c[2 * r + 1:2 * r + 1 + n] != c[:n]
    return np.where(has, y, plain)


def nw_ref(x, t, h, limit, interpolate):
    """Nadaraya-Watson in float64, summed in ascending time order (t sorted)."""
    n = len(x)
    lo = np.searchsorted(t, t - int(np.floor(limit)), "left")
    hi = np.searchsorted(t, t + int(np.floor(limit)), "right")
    kmax = int(max(np.max(np.arange(n) - lo), np.max(hi - 1 - np.arange(n))))
    idx = np.arange(n)
    num = np.zeros(n)
    den = np.zeros(n)
    for k in range(-kmax, kmax + 1):
        j = idx + k
        ok = (j >= 0) & (j < n)
        jj = np.clip(j, 0, n - 1)
        dt = (t[jj] - t).astype(np.float64)
        ok &= np.abs(dt) <= limit
        xv = x[jj]
        if interpolate:
            ok &= ~np.isnan(xv)
        u = dt / h
        kv = np.exp(-0.5 * u * u)
        num = np.where(ok, num + kv * xv, num)
        den = np.where(ok, den + kv, den)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den == 0, np.nan, num / np.where(den == 0, 1.0, den))


def inputs(n, kind):
    if kind == "random":
        return rng.standard_normal(n) * 10 + 3
    if kind == "constant":
        return np.full(n, 2.5)
    if kind == "step":
        return np.where(np.arange(n) < n // 2, -1.0, 4.0)
    if kind == "walk":
        return np.cumsum(rng.standard_normal(n))
    if kind == "nan":
        x = rng.standard_normal(n) * 5
        k = max(1, n // 20)
        x[rng.choice(n, size=k, replace=False)] = np.nan
        return x
    if kind == "nanrun":
        x = rng.standard_normal(n) * 5
        a = n // 3
        x[a:a + max(1, n // 4)] = np.nan
        return x
    if kind == "allnan":
        return np.full(n, np.nan)
    if kind == "inf":
        x = rng.standard_normal(n)
        x[n // 2] = np.inf
        if n > 3:
            x[n // 3] = -np.inf
        return x
    raise ValueError(kind)


cases = []


def add(name, x, sigma, truncate=4.0, radius=-1, mode="reflect", cval=0.0, order=0, dtype="float64"):
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    n, d = x.shape
    r = radius_of(sigma, truncate, radius)
    kw = dict(sigma=sigma, order=order, mode=mode, cval=cval, axis=0, truncate=truncate)
    if radius >= 0:
        kw["radius"] = radius
    if dtype == "float32":
        x32 = x.astype(np.float32)
        want32 = gaussian_filter1d(x32, **kw)
        assert want32.dtype == np.float32
        want64 = gaussian_filter1d(x32.astype(np.float64), **kw)
        cases.append(dict(name=name, sigma=sigma, truncate=truncate, radius=radius, r=r, mode=mode,
                          cval=float.hex(float(cval)), order=order, dtype="float32", n=n, d=d,
                          x=b64(x32.astype(np.float64).ravel()), want=b64(want64.ravel()),
                          want32=b64(want32.astype(np.float64).ravel())))
        return
    want = gaussian_filter1d(x, **kw)
    cases.append(dict(name=name, sigma=sigma, truncate=truncate, radius=radius, r=r, mode=mode,
                      cval=float.hex(float(cval)), order=order, dtype="float64", n=n, d=d,
                      x=b64(x.ravel()), want=b64(want.ravel())))


MODES = ["reflect", "nearest", "mirror", "constant", "wrap"]
SIGMAS = [0.3, 1.0, 2.5, 25.0]

for mode in MODES:
    cval = 1.5 if mode == "constant" else 0.0
    for sigma in SIGMAS:
        for order in (0, 1, 2):
            for n in (1, 2, 7, 100):
                add(f"{mode}/s{sigma}/o{order}/n{n}/random", inputs(n, "random"), sigma,
                    mode=mode, cval=cval, order=order)
            for kind in ("constant", "step"):
                add(f"{mode}/s{sigma}/o{order}/n100/{kind}", inputs(100, kind), sigma,
                    mode=mode, cval=cval, order=order)
    # truncate and explicit radius (radius >= n included)
    for truncate in (1.0, 2.0, 3.3):
        add(f"{mode}/s2.5/t{truncate}/n100", inputs(100, "walk"), 2.5, truncate=truncate, mode=mode, cval=cval)
    for radius in (0, 1, 5, 150):
        for order in (0, 1, 2):
            add(f"{mode}/s1/r{radius}/o{order}/n7", inputs(7, "random"), 1.0, radius=radius, mode=mode,
                cval=cval, order=order)
    add(f"{mode}/s3/r40/n10", inputs(10, "random"), 3.0, radius=40, mode=mode, cval=cval)
    add(f"{mode}/s0.1/n7", inputs(7, "random"), 0.1, mode=mode, cval=cval)
    # NaN and Inf propagate (scipy), incl. reflected copies
    for kind in ("nan", "nanrun", "inf", "allnan"):
        for order in (0, 1):
            add(f"{mode}/s2.5/o{order}/n60/{kind}", inputs(60, kind), 2.5, mode=mode, cval=cval, order=order)
    # vectors: d = 3, axis 0
    add(f"{mode}/s2.5/o1/n50/d3", rng.standard_normal((50, 3)), 2.5, mode=mode, cval=cval, order=1)
    # float32
    for sigma in (1.0, 25.0):
        add(f"{mode}/s{sigma}/n100/f32", inputs(100, "walk"), sigma, mode=mode, cval=cval, dtype="float32")
    add(f"{mode}/s2.5/o2/n30/d2/f32", rng.standard_normal((30, 2)) * 100, 2.5, mode=mode, cval=cval,
        order=2, dtype="float32")

for cval in (0.0, -3.0, 7.25, np.nan):
    add(f"constant/cval{cval}/s2.5/n40", inputs(40, "walk"), 2.5, mode="constant", cval=cval)
    add(f"constant/cval{cval}/s25/o1/n40", inputs(40, "walk"), 25.0, mode="constant", cval=cval, order=1)

# long series: a few
for mode, sigma, order in (("reflect", 25.0, 0), ("reflect", 2.5, 1), ("nearest", 25.0, 2),
                           ("mirror", 1.0, 0), ("wrap", 25.0, 0), ("constant", 2.5, 0)):
    add(f"{mode}/s{sigma}/o{order}/n10000/walk", inputs(10000, "walk"), sigma, mode=mode,
        cval=0.5 if mode == "constant" else 0.0, order=order)
add("reflect/s50/n10000/random", inputs(10000, "random"), 50.0)
add("reflect/s50/n10000/f32", inputs(10000, "walk"), 50.0, dtype="float32")

# interpolate
icases = []
for mode in MODES:
    cval = -2.0 if mode == "constant" else 0.0
    for sigma in (0.3, 1.0, 2.5, 25.0):
        for n, kind in ((1, "allnan"), (2, "nan"), (7, "nan"), (100, "nan"), (100, "nanrun"), (60, "allnan"),
                        (100, "random")):
            x = inputs(n, kind)
            if kind == "nan" and n <= 7:
                x[0] = np.nan
            r = radius_of(sigma, 4.0, -1)
            plain = gaussian_filter1d(x, sigma, mode=mode, cval=cval)
            want = interpolate_ref(x, sigma, r, mode, cval, plain)
            icases.append(dict(name=f"{mode}/s{sigma}/n{n}/{kind}", sigma=sigma, truncate=4.0, radius=-1, r=r,
                               mode=mode, cval=float.hex(float(cval)), order=0, dtype="float64", n=n, d=1,
                               x=b64(x), want=b64(want)))
x = inputs(10000, "nan")
plain = gaussian_filter1d(x, 25.0)
icases.append(dict(name="reflect/s25/n10000/nan", sigma=25.0, truncate=4.0, radius=-1, r=100, mode="reflect",
                   cval=float.hex(0.0), order=0, dtype="float64", n=10000, d=1, x=b64(x),
                   want=b64(interpolate_ref(x, 25.0, 100, "reflect", 0.0, plain))))
x = inputs(40, "nan")
plain = gaussian_filter1d(x, 2.5, mode="constant", cval=np.nan)
icases.append(dict(name="constant/cvalnan/s2.5/n40/nan", sigma=2.5, truncate=4.0, radius=-1, r=10,
                   mode="constant", cval=float.hex(np.nan), order=0, dtype="float64", n=40, d=1, x=b64(x),
                   want=b64(interpolate_ref(x, 2.5, 10, "constant", np.nan, plain))))

# Nadaraya-Watson over irregular int64 timestamps (milliseconds)
ncases = []
for n, h, truncate, policy, kind in ((1, 5000.0, 4.0, "propagate", "random"), (2, 5000.0, 4.0, "propagate", "random"),
                                     (50, 5000.0, 4.0, "propagate", "random"), (500, 5000.0, 4.0, "propagate", "walk"),
                                     (500, 20000.0, 8.0, "propagate", "walk"), (500, 5000.0, 4.0, "propagate", "nan"),
                                     (500, 5000.0, 4.0, "interpolate", "nan"), (500, 3000.0, 2.0, "interpolate", "nanrun"),
                                     (60, 1000.0, 4.0, "interpolate", "allnan"), (3000, 7500.0, 4.0, "propagate", "walk"),
                                     (300, 0.5, 4.0, "propagate", "random")):
    gaps = rng.exponential(4000.0, size=n).astype(np.int64)
    gaps[rng.random(n) < 0.05] = 0  # equal timestamps
    gaps[rng.random(n) < 0.02] = 60000  # holes wider than the window
    t = 1_700_000_000_000 + np.cumsum(gaps)
    x = inputs(n, kind)
    d = 1
    if kind == "walk" and n == 500 and h == 5000.0:
        x = np.stack([x, inputs(n, "random"), inputs(n, "nan")], axis=1)
        d = 3
    xs = x.reshape(n, d)
    want = np.stack([nw_ref(xs[:, c], t, h, truncate * h, policy == "interpolate") for c in range(d)], axis=1)
    name = f"n{n}/h{h}/t{truncate}/{policy}/{kind}/d{d}"
    ncases.append(dict(name=name, bandwidth=h, truncate=truncate, nan=policy, n=n, d=d,
                       t=b64(t, "<i8"), x=b64(xs.ravel()), want=b64(want.ravel())))
    if n == 50:  # the same data unsorted: the result follows the samples
        p = rng.permutation(n)
        ncases.append(dict(name=name + "/unsorted", bandwidth=h, truncate=truncate, nan=policy, n=n, d=d,
                           t=b64(t[p], "<i8"), x=b64(xs[p].ravel()), want=b64(want[p].ravel())))

# kernels
kern = {}
for c in cases + icases:
    key = (c["sigma"], c["order"], c["r"])
    kern[key] = scipy_weights(*key)
for s in (3.0, 50.0, 0.625, 7.7, 100.0):
    for o in (0, 1, 2):
        r = radius_of(s, 4.0, -1)
        kern[(s, o, r)] = scipy_weights(s, o, r)
kcases = [dict(sigma=k[0], order=k[1], r=k[2], w=b64(v)) for k, v in sorted(kern.items())]

# exp: numpy's and the correctly rounded one
from decimal import Decimal, getcontext
getcontext().prec = 40
ex = np.concatenate([-rng.random(1500) * 40, -rng.random(300) * 700, rng.random(100) * 700 - 350,
                     [-0.5 / (s * s) * k * k for s in (0.3, 1.0, 2.5, 25.0, 50.0) for k in range(0, 201, 7)]])
try:
    from numpy.core._multiarray_umath import __cpu_features__
    svml = bool(__cpu_features__.get("AVX512_SKX")) and tuple(int(v) for v in np.__version__.split(".")[:2]) >= (1, 22)
except ImportError:
    svml = False
ecase = dict(numpy_svml=svml, x=b64(ex), numpy=b64(np.exp(ex)), correct=b64([float(Decimal(float(v)).exp()) for v in ex]))

os.makedirs(OUT, exist_ok=True)
meta = dict(generator="scripts/gaussian/make_fixtures.py", scipy=scipy.__version__, numpy=np.__version__)
for fname, payload in (("positional.json", cases), ("interpolate.json", icases), ("nadaraya.json", ncases),
                       ("kernels.json", kcases), ("exp.json", [ecase])):
    with open(os.path.join(OUT, fname), "w") as f:
        json.dump(dict(meta=meta, cases=payload), f, separators=(",", ":"))
        f.write("\n")
print(f"{len(cases)} positional, {len(icases)} interpolate, {len(ncases)} nadaraya, {len(kcases)} kernels",
      file=sys.stderr)
