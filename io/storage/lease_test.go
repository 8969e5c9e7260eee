package storage

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// clock is a settable clock for leases.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func readHolder(t *testing.T, p string) Holder {
	t.Helper()
	var h Holder
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &h); err != nil {
		t.Fatalf("%s: %v: %q", p, err, data)
	}
	return h
}

// TestLeaseLifecycle: a held lease refuses a second taker, naming the
// holder and expiry; renewals keep it past its first TTL; once it expires
// (its holder died) another run takes it over, and the old holder finds
// it lost; a release deletes only a lease that is still ours.
func TestLeaseLifecycle(t *testing.T) {
	ctx := context.Background()
	cs := NewLocalCondStore(nil)
	name := filepath.Join(t.TempDir(), "_shards", "0-of-1.lock")
	clk := &clock{t: time.Date(2026, 11, 30, 4, 0, 0, 0, time.UTC)}
	opt := LeaseOptions{TTL: time.Minute, Now: clk.now, RenewEvery: -1}

	a, err := AcquireLease(ctx, cs, name, opt)
	if err != nil {
		t.Fatal(err)
	}
	if h := readHolder(t, name); h.PID != os.Getpid() || !h.Expires.Equal(clk.now().Add(time.Minute)) {
		t.Fatalf("holder %+v", h)
	}
	_, err = AcquireLease(ctx, cs, name, opt)
	var le *LockedError
	if !errors.As(err, &le) || le.Holder.PID != os.Getpid() || le.Holder.Expires.IsZero() || !errors.Is(err, ErrLocked) {
		t.Fatalf("second taker: %v", err)
	}

	// Renewed every 40 s for 3 minutes: never free.
	for range 4 {
		clk.add(40 * time.Second)
		if err := a.Renew(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := AcquireLease(ctx, cs, name, opt); !errors.Is(err, ErrLocked) {
			t.Fatalf("renewed lease taken: %v", err)
		}
	}

	// Its holder stops renewing (killed): after the TTL it is taken over.
	clk.add(61 * time.Second)
	b, err := AcquireLease(ctx, cs, name, opt)
	if err != nil {
		t.Fatalf("expired lease not taken over: %v", err)
	}
	if err := a.Renew(ctx); !errors.Is(err, ErrPrecondition) || a.Lost() == nil {
		t.Fatalf("old holder renewed a lease taken over: %v", err)
	}
	if err := a.Release(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(name); err != nil {
		t.Fatalf("the old holder's release deleted the new holder's lease: %v", err)
	}
	if err := b.Release(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(name); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("released lease still there: %v", err)
	}
	c, err := AcquireLease(ctx, cs, name, opt)
	if err != nil {
		t.Fatal(err)
	}
	c.Release()
}

// TestLeaseBackgroundRenewal: with real time and a short TTL, the lease
// renews itself and stays held well past its TTL.
func TestLeaseBackgroundRenewal(t *testing.T) {
	ctx := context.Background()
	cs := NewLocalCondStore(nil)
	name := filepath.Join(t.TempDir(), "lease")
	l, err := AcquireLease(ctx, cs, name, LeaseOptions{TTL: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	first := readHolder(t, name).Expires
	deadline := time.Now().Add(5 * time.Second)
	for readHolder(t, name).Expires.Equal(first) {
		if time.Now().After(deadline) {
			t.Fatal("never renewed")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if l.Lost() != nil {
		t.Fatal(l.Lost())
	}
}

// TestLeaseRace: many takers at once, one winner.
func TestLeaseRace(t *testing.T) {
	ctx := context.Background()
	cs := NewLocalCondStore(nil)
	name := filepath.Join(t.TempDir(), "lease")
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l, err := AcquireLease(ctx, cs, name, LeaseOptions{RenewEvery: -1})
			if err == nil {
				mu.Lock()
				won++
				mu.Unlock()
				_ = l
			} else if !errors.Is(err, ErrLocked) {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if won != 1 {
		t.Fatalf("%d winners", won)
	}
}

// TestLocalLock: flock-based Lock refuses a second holder (another open
// file description, as another process would have), naming this process,
// and is free again once released.
func TestLocalLock(t *testing.T) {
	ctx := context.Background()
	name := filepath.Join(t.TempDir(), "_shards", "0-of-1.lock")
	a, err := NewLocal(nil).Lock(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	_, err = NewLocal(nil).Lock(ctx, name)
	var le *LockedError
	if !errors.As(err, &le) || le.Holder.PID != os.Getpid() || le.Holder.Host == "" {
		t.Fatalf("second lock: %v", err)
	}
	if err := a.Release(); err != nil {
		t.Fatal(err)
	}
	b, err := NewLocal(nil).Lock(ctx, name)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	b.Release()
}
