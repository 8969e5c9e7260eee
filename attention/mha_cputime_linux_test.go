package attention_test

import "golang.org/x/sys/unix"

// threadCPU returns the calling thread's CPU time in seconds (benchmarks lock
// their goroutine to the thread). On the shared, oversubscribed machine this
// filters out time spent descheduled, which wall-clock ns/op does not.
func threadCPU() float64 {
	var ts unix.Timespec
	if unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts) != nil {
		return 0
	}
	return float64(ts.Sec) + float64(ts.Nsec)*1e-9
}
