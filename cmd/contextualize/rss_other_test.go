//go:build !linux

package main

// launchMeasured: peak RSS is measured on Linux only.
func launchMeasured() bool { return false }
