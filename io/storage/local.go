package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Local is the Storage of the local filesystem. Writes, removals, listings
// and locks go through an FS, so tests can watch and fail each of them
// (FaultFS); inputs are read with os.File.ReadAt.
type Local struct {
	fs   FS
	dirs *dirBatch // nil: each Commit syncs its directory (see NewBatchLocal)
}

// NewLocal returns the local Storage over fsys (nil: the OS).
func NewLocal(fsys FS) *Local {
	if fsys == nil {
		fsys = Default
	}
	return &Local{fs: fsys}
}

// FS returns the filesystem l writes through.
func (l *Local) FS() FS { return l.fs }

type localReader struct {
	*os.File
	info Info
}

func (r *localReader) Info() Info { return r.info }

// Open opens a regular file (symbolic links followed) for ReadAt.
func (l *Local) Open(_ context.Context, name string) (Reader, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, &fs.PathError{Op: "open", Path: name, Err: fmt.Errorf("not a regular file (%s)", st.Mode().Type())}
	}
	return &localReader{File: f, info: infoOf(name, st)}, nil
}

func infoOf(name string, st fs.FileInfo) Info {
	return Info{Name: name, Size: st.Size(), ModTime: st.ModTime(), IsDir: st.IsDir()}
}

// Stat is os.Stat through the FS.
func (l *Local) Stat(_ context.Context, name string) (Info, error) {
	st, err := l.fs.Stat(name)
	if err != nil {
		return Info{}, err
	}
	return infoOf(name, st), nil
}

// Hidden reports whether a name is skipped by listings: it starts with
// "_" or "." (_SUCCESS, _shards, temp files, .git), as Hadoop, Spark and
// DuckDB skip them.
func Hidden(name string) bool {
	return strings.HasPrefix(name, "_") || strings.HasPrefix(name, ".")
}

// List reads dir. Symbolic links are followed to describe their target;
// one that cannot be (dangling, a loop) comes back with Err set. Only
// directories and regular files are listed.
func (l *Local) List(_ context.Context, dir string) ([]Entry, error) {
	des, err := l.fs.ReadDir(dir) // sorted by name
	if err != nil {
		return nil, err
	}
	var out []Entry
	for _, de := range des {
		name := de.Name()
		if Hidden(name) {
			continue
		}
		p := filepath.Join(dir, name)
		e := Entry{Info: Info{Name: p}, Symlink: de.Type()&fs.ModeSymlink != 0}
		var st fs.FileInfo
		if e.Symlink {
			st, err = l.fs.Stat(p)
		} else {
			st, err = de.Info()
		}
		switch {
		case err != nil:
			e.Err = err
		case !st.IsDir() && !st.Mode().IsRegular():
			continue // a device, FIFO or socket: nothing to read (opening a FIFO would block)
		default:
			e.Info = infoOf(p, st)
		}
		out = append(out, e)
	}
	return out, nil
}

// Create starts an AtomicFile (whose Commit leaves its directory sync to
// SyncDirs when l was made by NewBatchLocal).
func (l *Local) Create(_ context.Context, name string) (Writer, error) {
	f, err := CreateAtomic(l.fs, name)
	if err != nil {
		return nil, err
	}
	if l.dirs != nil {
		f.dirs = l.dirs
	}
	return f, nil
}

// SyncDirs syncs the directories that commits renamed files into since the
// last call (nothing unless l was made by NewBatchLocal).
func (l *Local) SyncDirs(ctx context.Context) error {
	if l.dirs == nil {
		return nil
	}
	return l.dirs.sync(ctx)
}

// ReadFile reads name whole.
func (l *Local) ReadFile(_ context.Context, name string) ([]byte, error) {
	return ReadFile(l.fs, name)
}

// WriteFile writes name atomically.
func (l *Local) WriteFile(_ context.Context, name string, data []byte) error {
	return WriteFileAtomic(l.fs, name, data)
}

// Remove removes name.
func (l *Local) Remove(_ context.Context, name string) error { return l.fs.Remove(name) }

// CleanTemps is CleanTemps over l's FS.
func (l *Local) CleanTemps(_ context.Context, targets []string, keep func(string) bool) ([]string, error) {
	return CleanTemps(l.fs, targets, keep)
}

// Resolve returns the absolute path with symbolic links resolved along
// the longest part of it that exists (an output directory usually does
// not exist yet).
func (l *Local) Resolve(name string) (string, error) { return ResolvePath(name) }

// ResolvePath is Local.Resolve.
func ResolvePath(name string) (string, error) {
	abs, err := filepath.Abs(name)
	if err != nil {
		return "", err
	}
	var rest []string
	p := abs
	for {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			return filepath.Join(append([]string{r}, rest...)...), nil
		}
		parent := filepath.Dir(p)
		if parent == p {
			return abs, nil
		}
		rest = append([]string{filepath.Base(p)}, rest...)
		p = parent
	}
}

// Overlap reports whether two resolved locations are equal or one is
// inside the other.
func Overlap(a, b string) bool {
	if a == b {
		return true
	}
	if IsURL(a) || IsURL(b) {
		return OverlapURL(a, b)
	}
	inside := func(x, dir string) bool {
		if !strings.HasSuffix(dir, string(filepath.Separator)) {
			dir += string(filepath.Separator)
		}
		return strings.HasPrefix(x, dir)
	}
	return inside(a, b) || inside(b, a)
}

// localLock is a held flock on a lock file.
type localLock struct {
	once sync.Once
	f    File
	fd   uintptr
	err  error
}

func (l *localLock) Release() error {
	l.once.Do(func() {
		l.err = unlock(l.fd)
		if cerr := l.f.Close(); l.err == nil {
			l.err = cerr
		}
	})
	return l.err
}

// Lock takes an flock on the file name (created with its directory when
// missing, never removed: removing a lock file races with the next run
// opening it) and writes the holder into it. The kernel drops the lock
// when the process dies, however it dies.
func (l *Local) Lock(_ context.Context, name string) (Lock, error) {
	if err := l.fs.MkdirAll(filepath.Dir(name), 0o777); err != nil {
		return nil, err
	}
	f, err := l.fs.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o666)
	if err != nil {
		return nil, err
	}
	fd, ok := fileFd(f)
	if !ok {
		f.Close()
		return nil, fmt.Errorf("locking %s: not an OS file", name)
	}
	got, err := tryLock(fd)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("locking %s: %w", name, err)
	}
	if !got {
		f.Close()
		le := &LockedError{Name: name}
		if data, err := ReadFile(l.fs, name); err == nil {
			_ = json.Unmarshal(data, &le.Holder) // unreadable: holder unknown
		}
		return nil, le
	}
	if err := writeHolder(f); err != nil {
		unlock(fd)
		f.Close()
		return nil, fmt.Errorf("locking %s: writing the holder: %w", name, err)
	}
	return &localLock{f: f, fd: fd}, nil
}

// writeHolder replaces the lock file's content with this process's Holder.
func writeHolder(f File) error {
	if t, ok := f.(interface{ Truncate(int64) error }); ok {
		if err := t.Truncate(0); err != nil {
			return err
		}
	}
	data, err := json.Marshal(Self(time.Time{}))
	if err != nil {
		return err
	}
	_, err = f.Write(append(data, '\n'))
	return err
}

var started = time.Now()

// Self is the Holder record of this process, with the given lease expiry.
func Self(expires time.Time) Holder {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown"
	}
	h := Holder{Host: host, PID: os.Getpid(), Since: started.UTC().Truncate(time.Second)}
	if !expires.IsZero() {
		h.Expires = expires.UTC()
	}
	return h
}
