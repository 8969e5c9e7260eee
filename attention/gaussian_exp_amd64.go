package attention

import "golang.org/x/sys/cpu"

func init() {
	// numpy (>= 1.22, x86-64) computes float64 exp with SVML when the CPU
	// has the AVX-512 "SKX" feature set, so scipy's kernel weights do too.
	// Pure Go, so also under the purego tag: results do not depend on it.
	x := cpu.X86
	if x.HasAVX512F && x.HasAVX512CD && x.HasAVX512BW && x.HasAVX512DQ && x.HasAVX512VL {
		kernelExp = expNumpySVML
		nwExp = expNumpySVML
	}
}
