package main

import (
	"fmt"
	"os"
	"runtime/pprof"
)

var profileFile *os.File

// startProfile starts a CPU profile into path ("" does nothing).
func startProfile(path string) error {
	if path == "" {
		return nil
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("creating the CPU profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return fmt.Errorf("starting the CPU profile: %w", err)
	}
	profileFile = f
	return nil
}

// stopProfile ends the CPU profile, if one runs.
func stopProfile() {
	if profileFile != nil {
		pprof.StopCPUProfile()
		profileFile.Close()
		profileFile = nil
	}
}
