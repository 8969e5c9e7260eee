package attention

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
)

// The forward pass of one long sequence is split into tasks (row chunks of
// the projections, query blocks of a head) that the calling goroutine runs
// together with idle helper goroutines. Which goroutine runs a task never
// changes what the task computes, so results do not depend on the number of
// threads, only on the sequence.

// tasker runs task i of the current phase on worker w (0 is the caller;
// helpers are 1..): w only selects per-worker scratch.
type tasker interface{ task(w, i int) }

// phase is one parallel loop: tasks 0..n-1 handed out in order by an atomic
// counter. It lives in the caller's scratch, so running one allocates
// nothing.
type phase struct {
	t    tasker
	n    int
	next atomic.Int64
	done sync.WaitGroup
	// failure is the first panic of a task (with its stack), re-raised on
	// the caller once every worker has stopped: the job's worker pool
	// turns a panic of its own goroutine into an error, and the scratch
	// must not go back to the free list while a helper still uses it.
	mu      sync.Mutex
	failure any
}

// helperReq asks a helper to join ph as worker w.
type helperReq struct {
	ph *phase
	w  int
}

// helpers are parked goroutines, GOMAXPROCS-1 of them at most, started at
// the first parallel forward pass and kept for the life of the process. A
// request is handed over only to a helper parked in receive (a
// non-blocking send on an unbuffered channel), so a busy pool never delays
// the caller.
var helpers struct {
	mu      sync.Mutex
	started atomic.Int32
	ch      chan helperReq
	// busy counts the goroutines computing attention now: callers inside
	// a forward pass and helpers at work. Helpers are asked only
	// while busy < GOMAXPROCS, so job workers that already keep every CPU
	// busy with their own sequences do not add more goroutines.
	busy atomic.Int32
}

// ensureHelpers starts helpers until there are n.
func ensureHelpers(n int) {
	if int(helpers.started.Load()) >= n {
		return
	}
	helpers.mu.Lock()
	defer helpers.mu.Unlock()
	if helpers.ch == nil {
		helpers.ch = make(chan helperReq)
	}
	for int(helpers.started.Load()) < n {
		helpers.started.Add(1)
		go helperLoop(helpers.ch)
	}
}

func helperLoop(ch chan helperReq) {
	for r := range ch {
		helpers.busy.Add(1)
		r.ph.safeWork(r.w)
		helpers.busy.Add(-1)
		r.ph.done.Done()
	}
}

// run runs tasks 0..n-1 of t on the caller and up to maxWorkers-1 idle
// helpers, and returns when all are done.
func (ph *phase) run(t tasker, n, maxWorkers int) {
	ph.t, ph.n = t, n
	ph.next.Store(0)
	if n > 1 && maxWorkers > 1 {
		procs := runtime.GOMAXPROCS(0)
		want := min(maxWorkers, n, procs, procs-int(helpers.busy.Load())+1) - 1
		if want > 0 {
			ensureHelpers(procs - 1)
		}
	ask:
		for w := 1; w <= want; w++ {
			ph.done.Add(1)
			select {
			case helpers.ch <- helperReq{ph, w}:
			default: // every helper is busy elsewhere
				ph.done.Done()
				break ask
			}
		}
	}
	ph.safeWork(0)
	ph.done.Wait()
	ph.t = nil
	if f := ph.failure; f != nil {
		ph.failure = nil
		panic(f)
	}
}

// safeWork is work that records a panic in ph.failure and stops the other
// workers from taking more tasks.
func (ph *phase) safeWork(w int) {
	defer func() {
		if r := recover(); r != nil {
			ph.next.Store(int64(ph.n))
			ph.mu.Lock()
			if ph.failure == nil {
				ph.failure = fmt.Sprintf("%v [in a task of a parallel attention phase, worker %d]\n%s", r, w, debug.Stack())
			}
			ph.mu.Unlock()
		}
	}()
	ph.work(w)
}

// work runs tasks until none are left.
func (ph *phase) work(w int) {
	for {
		i := int(ph.next.Add(1) - 1)
		if i >= ph.n {
			return
		}
		ph.t.task(w, i)
	}
}
