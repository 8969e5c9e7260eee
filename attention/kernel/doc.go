// Package kernel holds the dense numeric kernels under the attention
// package: matrix multiplication (GEMM) in float32 and float64 and a
// vectorized exponential for softmax.
//
// Every kernel has a pure-Go reference implementation; architecture-specific
// fast paths (Go assembly, chosen at run time with golang.org/x/sys/cpu) must
// produce results equal to the reference within the documented tolerance.
// Building with the purego tag selects the pure-Go implementations only.
package kernel
