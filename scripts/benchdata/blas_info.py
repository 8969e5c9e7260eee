#!/usr/bin/python3
"""Print which BLAS numpy loaded and, for OpenBLAS, the kernel (core) it runs and
its thread count. Run under the same environment as the numpy benchmark.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 scripts/benchdata/blas_info.py
"""
import ctypes
import os

import numpy as np

np.dot(np.ones((2, 2)), np.ones((2, 2)))  # make sure BLAS is loaded
libs = sorted({ln.split()[-1] for ln in open("/proc/self/maps") if "blas" in ln.lower() and ".so" in ln})
desc = []
for p in libs:
    try:
        lib = ctypes.CDLL(p)
        lib.openblas_get_corename.restype = ctypes.c_char_p
        lib.openblas_get_config.restype = ctypes.c_char_p
        desc = [f"core={lib.openblas_get_corename().decode()}",
                f"threads={lib.openblas_get_num_threads()}",
                lib.openblas_get_config().decode(), os.path.basename(os.path.realpath(p))]
        break
    except (OSError, AttributeError):
        continue
env = {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS") if k in os.environ}
print(f"numpy {np.__version__} blas: {' '.join(desc) or 'not OpenBLAS: ' + ', '.join(libs)} env={env}")
