package main

import (
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"runtime/pprof"
)

var (
	profileFile *os.File
	memProfile  string // where stopProfile writes the allocation profile
)

// startProfile starts a CPU profile into cpu and arranges for an
// allocation profile to be written to mem at the end ("" skips either).
func startProfile(cpu, mem string) error {
	if mem != "" {
		memProfile = mem
		runtime.MemProfileRate = 64 << 10
	}
	if cpu == "" {
		return nil
	}
	f, err := os.Create(cpu)
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

// stopProfile ends the CPU profile, if one runs, and writes the
// allocation profile, if one was asked for.
func stopProfile() {
	if profileFile != nil {
		pprof.StopCPUProfile()
		profileFile.Close()
		profileFile = nil
	}
	if memProfile != "" {
		if err := writeMemProfile(memProfile); err != nil {
			slog.Warn("writing the allocation profile", "err", err)
		}
		memProfile = ""
	}
}

func writeMemProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
