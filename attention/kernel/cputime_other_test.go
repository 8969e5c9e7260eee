//go:build !linux

package kernel

func threadCPU() float64 { return 0 }
