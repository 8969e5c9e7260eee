package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"time"
)

// CondStore is what a store must offer for leases: writes that succeed
// only if the object is absent, or still at a version the caller read.
// Object stores have them natively (S3 If-None-Match / If-Match, GCS
// ifGenerationMatch, Azure If-None-Match / If-Match on the ETag), which is
// how the blob Storage will implement Lock; LocalCondStore gives the same
// semantics on a local filesystem.
type CondStore interface {
	// CreateIfAbsent writes name with data unless it exists (then an
	// error wrapping fs.ErrExist), and returns the new version.
	CreateIfAbsent(ctx context.Context, name string, data []byte) (version string, err error)
	// Read returns name's content and version (fs.ErrNotExist if absent).
	Read(ctx context.Context, name string) (data []byte, version string, err error)
	// ReplaceIf writes data if name is still at version, else
	// ErrPrecondition; it returns the new version.
	ReplaceIf(ctx context.Context, name, version string, data []byte) (string, error)
	// DeleteIf removes name if it is still at version, else ErrPrecondition.
	DeleteIf(ctx context.Context, name, version string) error
}

// ErrPrecondition is a conditional write that lost: the object changed.
var ErrPrecondition = errors.New("changed by another writer")

// LeaseOptions tune a lease.
type LeaseOptions struct {
	TTL time.Duration    // how long a lease lives unless renewed; 0: 1 minute
	Now func() time.Time // clock; nil: time.Now
	// RenewEvery is the renewal period of the background renewal; 0: TTL/3.
	// Negative: no background renewal (call Renew).
	RenewEvery time.Duration
}

// Lease is a lock held as an object recording its holder (host, pid,
// since, expiry). It is renewed while the run lives and may be taken over
// by another run once expired, so a run killed without releasing it blocks
// the next one for at most TTL.
type Lease struct {
	cs   CondStore
	name string
	opt  LeaseOptions

	mu      sync.Mutex
	version string
	lost    error
	since   time.Time
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
}

// AcquireLease takes the lease called name, or returns a *LockedError
// naming its live holder.
func AcquireLease(ctx context.Context, cs CondStore, name string, opt LeaseOptions) (*Lease, error) {
	if opt.TTL <= 0 {
		opt.TTL = time.Minute
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.RenewEvery == 0 {
		opt.RenewEvery = opt.TTL / 3
	}
	l := &Lease{cs: cs, name: name, opt: opt, since: opt.Now().UTC().Truncate(time.Second)}
	for range 3 { // a lease released or taken over between two calls: look again
		data, err := l.record()
		if err != nil {
			return nil, err
		}
		v, err := cs.CreateIfAbsent(ctx, name, data)
		if err == nil {
			return l.start(v), nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("taking lease %s: %w", name, err)
		}
		old, ov, err := cs.Read(ctx, name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading lease %s: %w", name, err)
		}
		var h Holder
		if json.Unmarshal(old, &h) == nil && !h.Expires.IsZero() && opt.Now().Before(h.Expires) {
			return nil, &LockedError{Name: name, Holder: h}
		}
		// Expired (or unreadable, which no live holder leaves): take it over.
		v, err = cs.ReplaceIf(ctx, name, ov, data)
		if errors.Is(err, ErrPrecondition) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("taking over lease %s: %w", name, err)
		}
		return l.start(v), nil
	}
	old, _, _ := cs.Read(ctx, name)
	le := &LockedError{Name: name}
	_ = json.Unmarshal(old, &le.Holder)
	return nil, le
}

func (l *Lease) record() ([]byte, error) {
	h := Self(l.opt.Now().Add(l.opt.TTL))
	h.Since = l.since
	return json.Marshal(h)
}

func (l *Lease) start(version string) *Lease {
	l.version = version
	l.stop, l.done = make(chan struct{}), make(chan struct{})
	if l.opt.RenewEvery < 0 {
		close(l.done)
		return l
	}
	go func() {
		defer close(l.done)
		t := time.NewTicker(l.opt.RenewEvery)
		defer t.Stop()
		for {
			select {
			case <-l.stop:
				return
			case <-t.C:
				if err := l.Renew(context.Background()); err != nil && l.Lost() != nil {
					return
				}
			}
		}
	}()
	return l
}

// Renew extends the lease by TTL from now. It fails with an error wrapping
// ErrPrecondition, and the lease counts as lost, when another run took it
// over (after it expired).
func (l *Lease) Renew(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lost != nil {
		return l.lost
	}
	data, err := l.record()
	if err != nil {
		return err
	}
	v, err := l.cs.ReplaceIf(ctx, l.name, l.version, data)
	if err != nil {
		if errors.Is(err, ErrPrecondition) || errors.Is(err, fs.ErrNotExist) {
			l.lost = fmt.Errorf("lease %s was taken over: %w", l.name, ErrPrecondition)
			return l.lost
		}
		return fmt.Errorf("renewing lease %s: %w", l.name, err)
	}
	l.version = v
	return nil
}

// Lost returns why the lease was lost, or nil while it is held.
func (l *Lease) Lost() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lost
}

// Release stops the renewal and deletes the lease if it is still ours.
func (l *Lease) Release() error {
	var err error
	l.once.Do(func() {
		close(l.stop)
		<-l.done
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.lost != nil {
			return
		}
		err = l.cs.DeleteIf(context.Background(), l.name, l.version)
		if errors.Is(err, ErrPrecondition) || errors.Is(err, fs.ErrNotExist) {
			err = nil // taken over after it expired: not ours to delete
		}
	})
	return err
}

// A Lease is a Lock: the blob Storage returns one from Lock.
var _ Lock = (*Lease)(nil)
