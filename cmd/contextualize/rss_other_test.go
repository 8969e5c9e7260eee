//go:build !linux

package main

import "testing"

// launchMeasured: peak RSS is measured on Linux only.
func launchMeasured() bool { return false }

// runMeasured skips: peak RSS is measured on Linux only.
func runMeasured(t *testing.T, env []string, args ...string) ([]byte, int64, error) {
	t.Skip("peak RSS is measured on Linux only")
	return nil, 0, nil
}
