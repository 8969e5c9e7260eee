// Package attention computes context for each element of a sequence: by
// proximity (Gaussian smoothing) and by relevance (multi-head attention).
// It does no I/O.
package attention
