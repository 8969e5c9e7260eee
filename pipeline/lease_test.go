package pipeline

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/contextualize/contextualize/io/storage"
)

// leaseStore is the local Storage with object storage's kind of lock: a
// lease (over LocalCondStore) renewed every 10 ms.
type leaseStore struct {
	*storage.Local
	cs *storage.LocalCondStore
}

func (s leaseStore) Lock(ctx context.Context, name string) (storage.Lock, error) {
	return storage.AcquireLease(ctx, s.cs, name, storage.LeaseOptions{TTL: time.Hour, RenewEvery: 10 * time.Millisecond})
}

// takeOver is a Processor that, before its first unit, replaces the run's
// lease with another run's (as a run taking over an expired lease does),
// then waits for the renewal to notice.
type takeOver struct {
	*fakeProc
	cs    *storage.LocalCondStore
	lease string
}

func (p *takeOver) Process(ctx context.Context, u Unit, w io.Writer) (Result, error) {
	_, v, err := p.cs.Read(ctx, p.lease)
	if err != nil {
		return Result{}, err
	}
	if _, err := p.cs.ReplaceIf(ctx, p.lease, v, []byte(`{"host":"other","pid":1}`)); err != nil {
		return Result{}, err
	}
	time.Sleep(100 * time.Millisecond)
	return p.fakeProc.Process(ctx, u, w)
}

// TestRunLostLeaseWritesNoSuccess: a run whose lease was taken over while
// it ran fails with an I/O error (exit 1) and writes no _SUCCESS.
func TestRunLostLeaseWritesNoSuccess(t *testing.T) {
	fx := newFixture(t, map[string]string{"a.parquet": "a"})
	opt := fx.opts("fp1")
	opt.Workers = 1
	cs := storage.NewLocalCondStore(nil)
	opt.Store = leaseStore{Local: storage.NewLocal(nil), cs: cs}
	p := &takeOver{fakeProc: &fakeProc{fp: "fp1"}, cs: cs, lease: LockPath(fx.out, 0, 1)}
	_, err := Run(context.Background(), fx.units, p, opt)
	if err == nil || Classify(err) != ClassIO || !errors.Is(err, storage.ErrPrecondition) {
		t.Fatalf("err %v (class %v), want an I/O error for the lost lease", err, Classify(err))
	}
	if _, err := os.Stat(filepath.Join(fx.out, SuccessName)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("_SUCCESS written after the lease was lost: %v", err)
	}
}
