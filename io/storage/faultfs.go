package storage

import (
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"sync/atomic"
)

// Op names a filesystem operation seen by FaultFS.
type Op string

// The operations FaultFS counts, logs and can fail.
const (
	OpOpen     Op = "open"
	OpRead     Op = "read"
	OpWrite    Op = "write"
	OpSync     Op = "sync"
	OpClose    Op = "close"
	OpRename   Op = "rename"
	OpRemove   Op = "remove"
	OpSyncDir  Op = "syncdir"
	OpStat     Op = "stat"
	OpReadDir  Op = "readdir"
	OpMkdirAll Op = "mkdirall"
)

// ErrInjected is the cause of every error injected by FaultFS.
var ErrInjected = errors.New("injected fault")

// Injector decides whether an operation fails: a non-nil error fails it.
// It is called concurrently.
type Injector func(op Op, path string) error

// FailNth returns an Injector that fails the nth (1-based) operation whose
// kind is in ops (any kind when ops is empty), once.
func FailNth(n int64, ops ...Op) Injector {
	var count atomic.Int64
	return func(op Op, path string) error {
		if len(ops) > 0 && !containsOp(ops, op) {
			return nil
		}
		if count.Add(1) == n {
			return ErrInjected
		}
		return nil
	}
}

func containsOp(ops []Op, op Op) bool {
	for _, o := range ops {
		if o == op {
			return true
		}
	}
	return false
}

// FaultFS wraps an FS, records every operation and fails those its
// Injector selects. Failed operations have no effect on the wrapped FS.
type FaultFS struct {
	inner FS
	inj   Injector

	mu  sync.Mutex
	log []string
	ops atomic.Int64
}

// NewFaultFS wraps inner; inj may be nil (never fail).
func NewFaultFS(inner FS, inj Injector) *FaultFS {
	if inner == nil {
		inner = Default
	}
	return &FaultFS{inner: inner, inj: inj}
}

// Ops returns the number of operations seen so far.
func (f *FaultFS) Ops() int64 { return f.ops.Load() }

// Log returns one line per operation seen so far ("rename a -> b",
// "write x (12 bytes)", "sync x: injected fault"), in order.
func (f *FaultFS) Log() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.log...)
}

func (f *FaultFS) check(op Op, path, detail string) error {
	f.ops.Add(1)
	var err error
	if f.inj != nil {
		if e := f.inj(op, path); e != nil {
			err = &fs.PathError{Op: string(op), Path: path, Err: e}
		}
	}
	line := string(op) + " " + path + detail
	if err != nil {
		line += ": " + ErrInjected.Error()
	}
	f.mu.Lock()
	f.log = append(f.log, line)
	f.mu.Unlock()
	return err
}

func (f *FaultFS) OpenFile(name string, flag int, perm fs.FileMode) (File, error) {
	if err := f.check(OpOpen, name, fmt.Sprintf(" (flag %#x)", flag)); err != nil {
		return nil, err
	}
	file, err := f.inner.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &faultFile{fs: f, f: file, name: name}, nil
}

func (f *FaultFS) Rename(oldpath, newpath string) error {
	if err := f.check(OpRename, oldpath, " -> "+newpath); err != nil {
		return err
	}
	return f.inner.Rename(oldpath, newpath)
}

func (f *FaultFS) Remove(name string) error {
	if err := f.check(OpRemove, name, ""); err != nil {
		return err
	}
	return f.inner.Remove(name)
}

func (f *FaultFS) SyncDir(dir string) error {
	if err := f.check(OpSyncDir, dir, ""); err != nil {
		return err
	}
	return f.inner.SyncDir(dir)
}

func (f *FaultFS) Stat(name string) (fs.FileInfo, error) {
	if err := f.check(OpStat, name, ""); err != nil {
		return nil, err
	}
	return f.inner.Stat(name)
}

func (f *FaultFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if err := f.check(OpReadDir, name, ""); err != nil {
		return nil, err
	}
	return f.inner.ReadDir(name)
}

func (f *FaultFS) MkdirAll(path string, perm fs.FileMode) error {
	if err := f.check(OpMkdirAll, path, ""); err != nil {
		return err
	}
	return f.inner.MkdirAll(path, perm)
}

type faultFile struct {
	fs   *FaultFS
	f    File
	name string
}

func (ff *faultFile) Name() string { return ff.name }

func (ff *faultFile) Read(p []byte) (int, error) {
	if err := ff.fs.check(OpRead, ff.name, ""); err != nil {
		return 0, err
	}
	return ff.f.Read(p)
}

func (ff *faultFile) Write(p []byte) (int, error) {
	if err := ff.fs.check(OpWrite, ff.name, fmt.Sprintf(" (%d bytes)", len(p))); err != nil {
		return 0, err
	}
	return ff.f.Write(p)
}

func (ff *faultFile) Sync() error {
	if err := ff.fs.check(OpSync, ff.name, ""); err != nil {
		return err
	}
	return ff.f.Sync()
}

// Close always closes the underlying file (a failed close still releases
// the descriptor, as with close(2)) but may report an injected error.
func (ff *faultFile) Close() error {
	err := ff.fs.check(OpClose, ff.name, "")
	if cerr := ff.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Fd returns the wrapped file's descriptor, so that locks work through
// FaultFS as on the OS filesystem.
func (ff *faultFile) Fd() uintptr {
	if f, ok := ff.f.(interface{ Fd() uintptr }); ok {
		return f.Fd()
	}
	return ^uintptr(0)
}

// Truncate truncates the wrapped file (not counted as an operation).
func (ff *faultFile) Truncate(size int64) error {
	if f, ok := ff.f.(interface{ Truncate(int64) error }); ok {
		return f.Truncate(size)
	}
	return fmt.Errorf("truncate %s: not supported", ff.name)
}
