package main

import (
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
)

var (
	profileFile *os.File
	traceFile   *os.File
	memProfile  string // where stopProfile writes the allocation profile
)

// startTrace starts an execution trace (go tool trace) into path ("" does
// nothing): where goroutines wait, and what the GC stops.
func startTrace(path string) error {
	if path == "" {
		return nil
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("creating the execution trace: %w", err)
	}
	if err := trace.Start(f); err != nil {
		f.Close()
		return fmt.Errorf("starting the execution trace: %w", err)
	}
	traceFile = f
	return nil
}

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

// stopProfile ends the execution trace and the CPU profile, if they run,
// and writes the
// allocation profile, if one was asked for.
func stopProfile() {
	if traceFile != nil {
		trace.Stop()
		traceFile.Close()
		traceFile = nil
	}
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
	runtime.GC() // the profile reports allocations up to the last collection
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
