//go:build !linux

package attention_test

func processCPU() float64 { return 0 }
func threadCPU() float64  { return 0 }
