package pipeline

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// checkNoLeak fails if goroutines started during the test are still alive.
func checkNoLeak(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(2 * time.Second)
		for runtime.NumGoroutine() > before {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<16)
				t.Errorf("goroutines: %d before, %d after\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
}

type item struct {
	i   int
	out int
}

// source yields 0..n-1 with the given sizes.
func source(n int, size func(i int) int64) func() (item, int64, bool, error) {
	i := 0
	return func() (item, int64, bool, error) {
		if i == n {
			return item{}, 0, false, nil
		}
		it := item{i: i}
		i++
		return it, size(it.i), true, nil
	}
}

func jitter(seed uint64) func() {
	var mu sync.Mutex
	r := rand.New(rand.NewPCG(seed, 1))
	return func() {
		mu.Lock()
		d := time.Duration(r.IntN(300)) * time.Microsecond
		mu.Unlock()
		time.Sleep(d)
	}
}

func TestOrderedInOrderAnyWorkers(t *testing.T) {
	checkNoLeak(t)
	const n = 200
	for _, workers := range []int{1, 2, 3, 8, 0} {
		for _, limit := range []int64{0, 1, 10, 1000} {
			t.Run(fmt.Sprintf("w%d/b%d", workers, limit), func(t *testing.T) {
				budget := NewBudget(limit)
				sleep := jitter(uint64(workers)*31 + uint64(limit))
				var inflight, maxInflight atomic.Int64
				var got []int
				next := source(n, func(i int) int64 { return int64(i%4 + 1) })
				err := Ordered(context.Background(), workers, budget,
					func() (item, int64, bool, error) {
						it, b, ok, err := next()
						if ok {
							if v := inflight.Add(b); v > maxInflight.Load() {
								maxInflight.Store(v)
							}
						}
						return it, b, ok, err
					},
					func(it *item) error { sleep(); it.out = it.i * it.i; return nil },
					func(it *item) error {
						got = append(got, it.out)
						inflight.Add(-int64(it.i%4 + 1))
						return nil
					})
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != n {
					t.Fatalf("emitted %d of %d", len(got), n)
				}
				for i, v := range got {
					if v != i*i {
						t.Fatalf("item %d = %d: out of order", i, v)
					}
				}
				// In flight is counted when next returns, before Acquire:
				// at most the budget (or one item larger than it) plus the
				// one item waiting.
				if limit > 0 && maxInflight.Load() > max(limit, 4)+4 {
					t.Fatalf("max in flight %d > budget %d + one item", maxInflight.Load(), limit)
				}
				if limit > 0 {
					ctx, cancel := context.WithTimeout(context.Background(), time.Second)
					defer cancel()
					if err := budget.Acquire(ctx, limit); err != nil {
						t.Fatalf("budget not fully released: %v", err)
					}
					budget.Release(limit)
				}
			})
		}
	}
}

func TestOrderedOversizedItem(t *testing.T) {
	checkNoLeak(t)
	budget := NewBudget(10)
	sizes := []int64{3, 100, 3, 3, 50, 1}
	var mu sync.Mutex
	var inflight, max int64
	next := source(len(sizes), func(i int) int64 { return sizes[i] })
	var got []int
	done := make(chan error, 1)
	go func() {
		done <- Ordered(context.Background(), 4, budget, next,
			func(it *item) error {
				mu.Lock()
				inflight += min(sizes[it.i], 10)
				if inflight > max {
					max = inflight
				}
				mu.Unlock()
				time.Sleep(time.Millisecond)
				mu.Lock()
				inflight -= min(sizes[it.i], 10)
				mu.Unlock()
				return nil
			},
			func(it *item) error { got = append(got, it.i); return nil })
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("deadlock with an item larger than the budget")
	}
	if fmt.Sprint(got) != "[0 1 2 3 4 5]" {
		t.Fatalf("order %v", got)
	}
	if max > 10 {
		t.Fatalf("%d bytes in work at once, budget 10", max)
	}
}

func TestOrderedErrors(t *testing.T) {
	boom := errors.New("boom")
	for _, where := range []string{"next", "work", "emit", "panic"} {
		for _, workers := range []int{1, 4} {
			t.Run(fmt.Sprintf("%s/w%d", where, workers), func(t *testing.T) {
				checkNoLeak(t)
				budget := NewBudget(16)
				inner := source(1000, func(int) int64 { return 2 })
				var emitted []int
				sleep := jitter(7)
				err := Ordered(context.Background(), workers, budget,
					func() (item, int64, bool, error) {
						it, b, ok, err := inner()
						if where == "next" && it.i == 37 {
							return it, 0, false, boom
						}
						return it, b, ok, err
					},
					func(it *item) error {
						sleep()
						if it.i == 37 {
							switch where {
							case "work":
								return boom
							case "panic":
								panic("kaboom")
							}
						}
						return nil
					},
					func(it *item) error {
						if where == "emit" && it.i == 37 {
							return boom
						}
						emitted = append(emitted, it.i)
						return nil
					})
				if where == "panic" {
					if err == nil || !strings.Contains(err.Error(), "kaboom") {
						t.Fatalf("err %v", err)
					}
				} else if !errors.Is(err, boom) {
					t.Fatalf("err %v", err)
				}
				if len(emitted) > 37 {
					t.Fatalf("emitted %d items past the failure", len(emitted))
				}
				for i, v := range emitted {
					if v != i {
						t.Fatalf("emitted out of order: %v", emitted)
					}
				}
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				defer cancel()
				if err := budget.Acquire(ctx, 16); err != nil {
					t.Fatalf("budget leaked after error: %v", err)
				}
			})
		}
	}
}

func TestOrderedCancel(t *testing.T) {
	checkNoLeak(t)
	ctx, cancel := context.WithCancel(context.Background())
	budget := NewBudget(8)
	var emitted atomic.Int64
	errc := make(chan error, 1)
	go func() {
		errc <- Ordered(ctx, 4, budget, source(1<<30, func(int) int64 { return 1 }),
			func(it *item) error { time.Sleep(100 * time.Microsecond); return nil },
			func(it *item) error {
				if emitted.Add(1) == 50 {
					cancel()
				}
				return nil
			})
	}()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Ordered did not stop after cancel")
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), time.Second)
	defer cancel2()
	if err := budget.Acquire(ctx2, 8); err != nil {
		t.Fatalf("budget leaked after cancel: %v", err)
	}
}

// TestOrderedSharedBudget runs several Ordered at once on one budget, as
// several files of a run do.
func TestOrderedSharedBudget(t *testing.T) {
	checkNoLeak(t)
	budget := NewBudget(20)
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for f := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := 0
			errs[f] = Ordered(context.Background(), 3, budget,
				source(100, func(i int) int64 { return int64(1 + (i*7+f)%25) }),
				func(it *item) error { time.Sleep(50 * time.Microsecond); return nil },
				func(it *item) error {
					if it.i != n {
						return fmt.Errorf("file %d: got %d want %d", f, it.i, n)
					}
					n++
					return nil
				})
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("deadlock on a shared budget")
	}
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}
