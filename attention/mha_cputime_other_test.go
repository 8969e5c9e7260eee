//go:build !linux

package attention_test

func threadCPU() float64 { return 0 }
