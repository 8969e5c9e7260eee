package pipeline

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"

	"golang.org/x/sync/errgroup"
)

// Ordered is a parallel map with in-order output, the engine inside every
// file: a reader, a pool of workers and a writer.
//
//	next  (1 goroutine)   -> acquire bytes -> work (workers goroutines)
//	                                       -> emit (1 goroutine, in next's order) -> release bytes
//
// next is called sequentially until it returns ok == false or an error; it
// returns an item and the bytes the item holds in memory. Before an item is
// handed to the workers its bytes are acquired from budget (nil: no limit),
// so the reader stops reading while the budget is spent; the bytes are
// released after emit returns. A single item larger than the whole budget
// waits until everything else is released and then proceeds alone. At most
// 2*workers items are in flight whatever their size. Memory in flight is
// therefore bounded by the budget plus the one item the reader holds while
// it waits.
//
// work runs on up to workers goroutines (<= 0: GOMAXPROCS); it may modify
// the item. emit is called sequentially, in the order next produced the
// items, so the output does not depend on workers or on timing.
//
// The first error from next, work or emit (or ctx) cancels everything and is
// returned; a panic in work is returned as an error. When Ordered returns,
// all its goroutines have exited and all the bytes it acquired have been
// released.
func Ordered[T any](ctx context.Context, workers int, budget *Budget,
	next func() (item T, bytes int64, ok bool, err error),
	work func(*T) error,
	emit func(*T) error,
) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	type slot struct {
		item  T
		bytes int64
		err   error
		done  chan struct{}
	}
	g, ctx := errgroup.WithContext(ctx)
	order := make(chan *slot, 2*workers) // bounds the items in flight
	todo := make(chan *slot)

	// Reader.
	g.Go(func() error {
		defer close(todo)
		defer close(order)
		for {
			if err := ctx.Err(); err != nil {
				return err
			}
			item, n, ok, err := next()
			if err != nil {
				return err
			}
			if !ok {
				return nil
			}
			if err := budget.Acquire(ctx, n); err != nil {
				return err
			}
			s := &slot{item: item, bytes: n, done: make(chan struct{})}
			select {
			case order <- s:
			case <-ctx.Done():
				budget.Release(n)
				return ctx.Err()
			}
			// s is owned by the emitter (or the final drain) from here;
			// a worker only fills in err and closes done.
			select {
			case todo <- s:
			case <-ctx.Done():
				s.err = ctx.Err()
				close(s.done)
				return ctx.Err()
			}
		}
	})

	// Workers.
	for range workers {
		g.Go(func() error {
			for s := range todo {
				if err := ctx.Err(); err != nil {
					s.err = err
				} else {
					s.err = safeWork(work, &s.item)
				}
				close(s.done)
				if s.err != nil {
					return s.err
				}
			}
			return nil
		})
	}

	// Emitter: in the caller's goroutine is not possible (it must stop when
	// the others fail), so it is one more group member.
	var pending *slot // acquired, taken from order, not yet released
	g.Go(func() error {
		for s := range order {
			pending = s
			select {
			case <-s.done:
			case <-ctx.Done():
				return ctx.Err()
			}
			if s.err != nil {
				return s.err
			}
			if err := emit(&s.item); err != nil {
				return err
			}
			budget.Release(s.bytes)
			pending = nil
		}
		return nil
	})

	err := g.Wait()
	// Everything still acquired: the slot the emitter held and the slots it
	// never took (order is closed by the reader, which has exited).
	if pending != nil {
		budget.Release(pending.bytes)
	}
	for s := range order {
		budget.Release(s.bytes)
	}
	return err
}

func safeWork[T any](work func(*T) error, item *T) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic in worker: %v\n%s", r, debug.Stack())
		}
	}()
	return work(item)
}
