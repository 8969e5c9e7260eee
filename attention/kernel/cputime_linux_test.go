package kernel

import "golang.org/x/sys/unix"

// threadCPU returns the calling thread's CPU time in seconds (the benchmark
// locks its goroutine to the thread). On a shared, oversubscribed machine
// this filters out time spent descheduled, which wall-clock GFLOPS do not.
func threadCPU() float64 {
	var ts unix.Timespec
	if unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts) != nil {
		return 0
	}
	return float64(ts.Sec) + float64(ts.Nsec)*1e-9
}
