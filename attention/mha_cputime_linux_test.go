package attention_test

import "golang.org/x/sys/unix"

// processCPU returns the CPU time (user + system) of the whole process in
// seconds: the forward pass of a long sequence runs on helper goroutines
// too. On the shared, oversubscribed machine this filters out time spent
// descheduled, which wall-clock ns/op does not.
func processCPU() float64 {
	var ru unix.Rusage
	if unix.Getrusage(unix.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)*1e-6
}

// threadCPU returns the calling thread's CPU time in seconds (the caller
// locks its goroutine to the thread).
func threadCPU() float64 {
	var ts unix.Timespec
	if unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts) != nil {
		return 0
	}
	return float64(ts.Sec) + float64(ts.Nsec)*1e-9
}
