#!/usr/bin/python3
"""Generates attention/smooth_amd64.s (run from the repository root):

    python3 scripts/gaussian/gen_asm.py > attention/smooth_amd64.s

Each kernel computes `blocks` blocks of nacc*lanes consecutive outputs of the
Gaussian correlation in scipy's exact order, one accumulator per lane:
acc = x[i]*w[0]; for j = r..1: acc += (x[i-j] ± x[i+j]) * w[j]. Plain
multiplies and adds only (an FMA only as fma(acc, 1.0, t), which is exactly
acc + t), so every lane rounds as the Go loop does.
"""


def kernel(name, reg, vb, nacc, w0, wj, elem=8):
    """elem is the byte distance between taps: 8 for consecutive samples,
    64 for the 8-lane interleaved layout (one aligned row per sample)."""
    shift = {8: 3, 64: 6}[elem]
    L = []
    a = L.append
    a(f"// func {name}(out, ext, w *float64, r, blocks int, odd bool)")
    a(f"TEXT ·{name}(SB), NOSPLIT, $0-41")
    a("\tMOVQ out+0(FP), DI")
    a("\tMOVQ ext+8(FP), SI")
    a("\tMOVQ w+16(FP), DX")
    a("\tMOVQ r+24(FP), CX")
    a("\tMOVQ blocks+32(FP), BX")
    a("\tMOVBQZX odd+40(FP), AX")
    a(f"\tVBROADCASTSD (DX), {reg}{w0}")
    a("\tMOVQ CX, R14")
    a(f"\tSHLQ ${shift}, R14 // r taps in bytes")
    a("\tLEAQ (SI)(R14*1), R8 // centre of the first block: ext + r")
    a("\tLEAQ (DX)(CX*8), R12 // &w[r]")
    a("\tTESTQ BX, BX")
    a(f"\tJZ {name}_done")
    a(f"{name}_block:")
    for k in range(nacc):
        a(f"\tVMULPD {k*vb}(R8), {reg}{w0}, {reg}{k}")
    a("\tMOVQ SI, R9 // x[i-j], j = r")
    a("\tLEAQ (R8)(R14*1), R10 // x[i+j], j = r")
    a("\tMOVQ R12, R11 // &w[j]")
    a("\tMOVQ CX, R13")
    a("\tTESTQ R13, R13")
    a(f"\tJZ {name}_store")
    a("\tTESTQ AX, AX")
    a(f"\tJNZ {name}_odd")
    for kind, op in (("even", "VADDPD"), ("odd", "VSUBPD")):
        a(f"{name}_{kind}:")
        a(f"\tVBROADCASTSD (R11), {reg}{wj}")
        for k in range(nacc):
            t = f"{reg}{k+nacc}"
            a(f"\tVMOVUPD {k*vb}(R9), {t}")
            a(f"\t{op} {k*vb}(R10), {t}, {t}")
            a(f"\tVMULPD {reg}{wj}, {t}, {t}")
            a(f"\tVADDPD {t}, {reg}{k}, {reg}{k}")
        a(f"\tADDQ ${elem}, R9")
        a(f"\tSUBQ ${elem}, R10")
        a("\tSUBQ $8, R11")
        a("\tDECQ R13")
        a(f"\tJNZ {name}_{kind}")
        if kind == "even":
            a(f"\tJMP {name}_store")
    a(f"{name}_store:")
    for k in range(nacc):
        a(f"\tVMOVUPD {reg}{k}, {k*vb}(DI)")
    step = nacc * vb
    a(f"\tADDQ ${step}, SI")
    a(f"\tADDQ ${step}, R8")
    a(f"\tADDQ ${step}, DI")
    a("\tDECQ BX")
    a(f"\tJNZ {name}_block")
    a(f"{name}_done:")
    a("\tVZEROUPPER")
    a("\tRET")
    return "\n".join(L) + "\n"


def transpose8(a, rin, t, u, cout):
    """Transposes the 8x8 float64 matrix in rows rin (zmm names) into the
    columns cout (which may be rin), through the temporaries t and u."""
    for i in range(4):
        a(f"\tVUNPCKLPD {rin[2*i+1]}, {rin[2*i]}, {t[2*i]}")
        a(f"\tVUNPCKHPD {rin[2*i+1]}, {rin[2*i]}, {t[2*i+1]}")
    for base in (0, 4):
        for lo in (0, 1):
            x, y = t[base + lo], t[base + lo + 2]
            a(f"\tVSHUFF64X2 $0x88, {y}, {x}, {u[base + lo]}")
            a(f"\tVSHUFF64X2 $0xdd, {y}, {x}, {u[base + lo + 2]}")
    for k in range(4):
        a(f"\tVSHUFF64X2 $0x88, {u[k+4]}, {u[k]}, {cout[k]}")
        a(f"\tVSHUFF64X2 $0xdd, {u[k+4]}, {u[k]}, {cout[k+4]}")


def lane_addrs():
    """Operands of the 8 lanes at DI + l*R15 (R9 = 3*R15, R8 = DI + 4*R15)."""
    return ["(DI)", "(DI)(R15*1)", "(DI)(R15*2)", "(DI)(R9*1)",
            "(R8)", "(R8)(R15*1)", "(R8)(R15*2)", "(R8)(R9*1)"]


def interleave(name):
    """dst row q (64 bytes) = sample q of the 8 lanes src + l*stride, for
    8*blocks rows: 8x8 transposes of 8 consecutive samples of each lane."""
    Z = [f"Z{k}" for k in range(24)]
    L = []
    a = L.append
    a(f"// func {name}(dst, src *float64, stride, blocks int)")
    a(f"TEXT ·{name}(SB), NOSPLIT, $0-32")
    a("\tMOVQ dst+0(FP), SI")
    a("\tMOVQ src+8(FP), DI")
    a("\tMOVQ stride+16(FP), R15")
    a("\tMOVQ blocks+24(FP), BX")
    a("\tSHLQ $3, R15 // lane stride in bytes")
    a("\tLEAQ (R15)(R15*2), R9")
    a("\tTESTQ BX, BX")
    a(f"\tJZ {name}_done")
    a(f"{name}_block:")
    a("\tLEAQ (DI)(R15*4), R8")
    for l, addr in enumerate(lane_addrs()):
        a(f"\tVMOVUPD {addr}, {Z[l]}")
    transpose8(a, Z[0:8], Z[8:16], Z[16:24], Z[0:8])
    for k in range(8):
        a(f"\tVMOVUPD {Z[k]}, {k*64}(SI)")
    a("\tADDQ $64, DI")
    a("\tADDQ $512, SI")
    a("\tDECQ BX")
    a(f"\tJNZ {name}_block")
    a(f"{name}_done:")
    a("\tVZEROUPPER")
    a("\tRET")
    return "\n".join(L) + "\n"


def rows_rotating(name, nfma=4):
    """The interleaved kernel (8 lanes a row, rows 64-byte aligned) with a
    sliding register window: output rows q0..q0+7 at tap j read the rows
    q0+k-j (left) and q0+k+j (right), and at tap j-1 seven of each eight are
    the same rows, so a tap loads 2 rows instead of 16. The windows rotate
    through Z8-Z15 (left) and Z16-Z23 (right); the tap loop is unrolled 8
    times so the rotation is in the register names. Of the 8 accumulations
    a tap, nfma are done as fma(acc, 1.0, t), which rounds exactly as
    acc + t (acc*1.0 is exact, one rounding) but runs on the multiply pipes:
    on cores with separate add and multiply pipes (Zen) the 16 adds and 8
    multiplies of a tap then share both. The accumulator is the first
    multiplicand (the 213 form), so a NaN in it wins over a NaN in t as it
    does in acc + t, on Intel (operand order) and AMD (a, b, c order) alike:
    NaN payloads are the Go loop's too. A block's 8 output rows are
    transposed and stored as 8 consecutive outputs of each lane, lane l at
    out + l*stride."""
    acc = [f"Z{k}" for k in range(8)]
    Lr = [f"Z{8+k}" for k in range(8)]
    Rr = [f"Z{16+k}" for k in range(8)]
    zw, ones = "Z24", "Z25"
    tmp = [f"Z{26+k}" for k in range(6)]
    fma = {(8 * i + 8) // nfma - 1 for i in range(nfma)} if nfma else set()
    L = []
    a = L.append
    a(f"// func {name}(out, ext, w *float64, r, blocks, stride int, odd bool)")
    a(f"TEXT ·{name}(SB), NOSPLIT, $0-49")
    a("\tMOVQ out+0(FP), DI")
    a("\tMOVQ ext+8(FP), SI")
    a("\tMOVQ w+16(FP), DX")
    a("\tMOVQ r+24(FP), CX")
    a("\tMOVQ blocks+32(FP), BX")
    a("\tMOVQ stride+40(FP), R15")
    a("\tMOVBQZX odd+48(FP), AX")
    a("\tSHLQ $3, R15 // lane stride in bytes")
    a("\tMOVQ $0x3ff0000000000000, R13 // 1.0")
    a(f"\tVPBROADCASTQ R13, {ones}")
    a("\tMOVQ CX, R14")
    a("\tSHLQ $6, R14 // r rows in bytes")
    a("\tLEAQ (DX)(CX*8), R12 // &w[r]")
    a("\tTESTQ BX, BX")
    a(f"\tJZ {name}_done")
    a(f"{name}_block:")
    a(f"\tVBROADCASTSD (DX), {zw}")
    a("\tLEAQ (SI)(R14*1), R9 // centre rows q0+r")
    for k in range(8):
        a(f"\tVMULPD {k*64}(R9), {zw}, {acc[k]}")
    a("\tTESTQ CX, CX")
    a(f"\tJZ {name}_store")
    a("\tLEAQ (R9)(R14*1), R10 // right rows q0+2r")
    for k in range(8):
        a(f"\tVMOVUPD {k*64}(SI), {Lr[k]}")
        a(f"\tVMOVUPD {k*64}(R10), {Rr[k]}")
    a("\tLEAQ 512(SI), R8 // next left row q0+8")
    a("\tSUBQ $64, R10 // next right row q0+2r-1")
    a("\tMOVQ R12, R11 // &w[j]")
    a("\tMOVQ CX, R13")
    a("\tTESTQ AX, AX")
    a(f"\tJNZ {name}_odd")
    for kind, op in (("even", "VADDPD"), ("odd", "VSUBPD")):
        a(f"{name}_{kind}:")
        ti = 0
        for s in range(8):
            a(f"\tVBROADCASTSD (R11), {zw}")
            for k in range(8):
                t = tmp[ti % len(tmp)]
                ti += 1
                a(f"\t{op} {Rr[(k-s)%8]}, {Lr[(k+s)%8]}, {t}")
                a(f"\tVMULPD {zw}, {t}, {t}")
                if k in fma:
                    a(f"\tVFMADD213PD {t}, {ones}, {acc[k]}")
                else:
                    a(f"\tVADDPD {t}, {acc[k]}, {acc[k]}")
            a("\tDECQ R13")
            a(f"\tJZ {name}_store")
            a("\tSUBQ $8, R11")
            a(f"\tVMOVUPD (R8), {Lr[s]}")
            a(f"\tVMOVUPD (R10), {Rr[(7-s)%8]}")
            a("\tADDQ $64, R8")
            a("\tSUBQ $64, R10")
        a(f"\tJMP {name}_{kind}")
    a(f"{name}_store:")
    transpose8(a, acc, Lr, Rr, acc)
    a("\tLEAQ (R15)(R15*2), R9")
    a("\tLEAQ (DI)(R15*4), R8")
    for k, addr in enumerate(lane_addrs()):
        a(f"\tVMOVUPD {acc[k]}, {addr}")
    a("\tADDQ $512, SI")
    a("\tADDQ $64, DI")
    a("\tDECQ BX")
    a(f"\tJNZ {name}_block")
    a(f"{name}_done:")
    a("\tVZEROUPPER")
    a("\tRET")
    return "\n".join(L) + "\n"

HEADER = """// Code generated by scripts/gaussian/gen_asm.py. DO NOT EDIT.

//go:build !purego

#include "textflag.h"

// Gaussian correlation blocks for Smoother.correlate: every output lane
// follows scipy's scalar order exactly (x[i]*w[0], then (x[i-j] ± x[i+j])*w[j]
// added for j = r..1), with separate multiplies and adds (no FMA), so results
// are bit-identical to the pure-Go loop. A block is 16 outputs (AVX2: 4 ymm
// accumulators) or 64 (AVX-512: 8 zmm accumulators); a call writes
// out[0 : blocks*block] and reads ext[0 : blocks*block + 2r].
// corrRowsRotAVX512 works on 8 interleaved segments of a line (sample q of
// lane l at [8q+l], rows 64-byte aligned, made by interleave8AVX512): a
// block is 8 rows, every load is aligned, and a tap loads 2 new rows into a
// sliding window of 16 registers; half its accumulations are
// fma(acc, 1.0, t), which rounds as acc + t does. It stores each lane's
// outputs in place (lane l at out + l*stride).

"""

if __name__ == "__main__":
    print(HEADER + kernel("corrBlocksAVX2", "Y", 32, 4, 14, 15) + "\n"
          + kernel("corrBlocksAVX512", "Z", 64, 8, 30, 31) + "\n"
          + interleave("interleave8AVX512") + "\n"
          + rows_rotating("corrRowsRotAVX512"), end="")
