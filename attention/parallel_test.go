package attention

import (
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
)

// countTasks counts the tasks it runs and panics on task panicAt (if >= 0).
type countTasks struct {
	ran     atomic.Int64
	seen    []atomic.Int32
	panicAt int
}

func (c *countTasks) task(w, i int) {
	if i == c.panicAt {
		panic("task failed")
	}
	c.seen[i].Add(1)
	c.ran.Add(1)
}

// TestPhaseRunsEveryTaskOnce: every task runs exactly once, whether helpers
// join or not; a panicking task is re-raised on the caller after all
// workers stopped, and the phase stays usable.
func TestPhaseRunsEveryTaskOnce(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	var ph phase
	for _, c := range []struct{ n, workers int }{{1, 4}, {7, 1}, {100, 4}, {1000, 2}} {
		ct := &countTasks{seen: make([]atomic.Int32, c.n), panicAt: -1}
		ph.run(ct, c.n, c.workers)
		for i := range ct.seen {
			if k := ct.seen[i].Load(); k != 1 {
				t.Fatalf("n=%d workers=%d: task %d ran %d times", c.n, c.workers, i, k)
			}
		}
	}
	ct := &countTasks{seen: make([]atomic.Int32, 500), panicAt: 3}
	func() {
		defer func() {
			r := recover()
			if s, _ := r.(string); !strings.Contains(s, "task failed") {
				t.Fatalf("recovered %v, want the task's panic", r)
			}
		}()
		ph.run(ct, 500, 4)
		t.Fatal("no panic")
	}()
	if busy := helpers.busy.Load(); busy != 0 {
		t.Errorf("%d helpers still busy after the phase", busy)
	}
	ct = &countTasks{seen: make([]atomic.Int32, 50), panicAt: -1}
	ph.run(ct, 50, 4)
	if ct.ran.Load() != 50 {
		t.Errorf("after a panic: %d of 50 tasks ran", ct.ran.Load())
	}
}
