package pipeline

import (
	"context"

	"golang.org/x/sync/semaphore"
)

// Budget bounds the bytes in flight across every file of a run: a weighted
// semaphore sized by --memory-limit. A nil *Budget, or one of size <= 0, is
// unlimited. A request larger than the whole budget is reduced to the whole
// budget, so a single oversized item still proceeds, alone.
type Budget struct {
	size int64
	sem  *semaphore.Weighted
}

// NewBudget returns a budget of the given number of bytes (<= 0: unlimited).
func NewBudget(bytes int64) *Budget {
	if bytes <= 0 {
		return &Budget{}
	}
	return &Budget{size: bytes, sem: semaphore.NewWeighted(bytes)}
}

// Size returns the budget in bytes, 0 for unlimited.
func (b *Budget) Size() int64 {
	if b == nil {
		return 0
	}
	return b.size
}

func (b *Budget) clamp(n int64) int64 {
	if n < 0 {
		return 0
	}
	return min(n, b.size)
}

// Acquire waits until n bytes are available or ctx is done.
func (b *Budget) Acquire(ctx context.Context, n int64) error {
	if b == nil || b.sem == nil {
		return ctx.Err()
	}
	return b.sem.Acquire(ctx, b.clamp(n))
}

// TryAcquire takes n bytes if they are available now and reports whether
// it did.
func (b *Budget) TryAcquire(n int64) bool {
	if b == nil || b.sem == nil {
		return true
	}
	return b.sem.TryAcquire(b.clamp(n))
}

// Hold takes n bytes for the rest of the run (memory that stays allocated,
// such as attention weights) and shrinks the budget that requests see by
// as much, so that an oversized request, reduced to the whole budget, is
// reduced to what is left rather than waiting forever for the held bytes.
// Call it before any other use. It takes nothing and reports false when n
// is not less than the budget.
func (b *Budget) Hold(n int64) bool {
	if b == nil || b.sem == nil || n <= 0 {
		return true
	}
	if n >= b.size || !b.sem.TryAcquire(n) {
		return false
	}
	b.size -= n
	return true
}

// Release returns n bytes acquired by Acquire with the same n.
func (b *Budget) Release(n int64) {
	if b == nil || b.sem == nil {
		return
	}
	if n = b.clamp(n); n > 0 {
		b.sem.Release(n)
	}
}
