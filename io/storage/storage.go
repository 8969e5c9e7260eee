package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// Storage is one kind of place where inputs and outputs live: the local
// filesystem (Local) now, object storage through gocloud.dev/blob next.
// Names are full locations as the user wrote them (an OS path here, a URL
// for object storage), so one Storage serves every directory or bucket of
// its kind. Every method may be called concurrently.
type Storage interface {
	// Open opens a file for ranged reads (a Parquet reader needs ReaderAt:
	// the footer first, then only the column chunks it wants).
	Open(ctx context.Context, name string) (Reader, error)
	// Stat describes name; a missing name is an error wrapping
	// fs.ErrNotExist.
	Stat(ctx context.Context, name string) (Info, error)
	// List returns the entries directly under dir (a directory or a
	// prefix), sorted by name, skipping names that start with "_" or ".".
	// An entry that cannot be examined (a dangling symbolic link, a link
	// loop) is returned with Err set, so it can fail alone.
	List(ctx context.Context, dir string) ([]Entry, error)
	// Create starts writing name; it becomes visible, complete, only on
	// Commit (local: temp name, fsync, rename, directory fsync; object
	// storage: a multipart upload completed on Commit, aborted on Abort).
	Create(ctx context.Context, name string) (Writer, error)
	// ReadFile reads a small file whole (manifests).
	ReadFile(ctx context.Context, name string) ([]byte, error)
	// WriteFile writes a small file atomically, as Create then Commit.
	WriteFile(ctx context.Context, name string, data []byte) error
	// Remove deletes name. Callers only remove names this tool made.
	Remove(ctx context.Context, name string) error
	// Lock takes the lock called name without waiting. A held lock is a
	// *LockedError naming its holder. Local: flock on the file name. Object
	// storage: a lease object (see Lease).
	Lock(ctx context.Context, name string) (Lock, error)
	// CleanTemps removes temp files that dead runs left for the given
	// targets, only beside them, only files this tool made, never one
	// that keep selects and never one whose writer is alive. Object
	// storage has nothing to clean (an unfinished upload is invisible).
	CleanTemps(ctx context.Context, targets []string, keep func(string) bool) ([]string, error)
	// Resolve returns the canonical name used to compare locations: an
	// absolute path with symbolic links resolved (as far as the path
	// exists), or a normalised URL.
	Resolve(name string) (string, error)
}

// Info describes a file.
type Info struct {
	Name    string
	Size    int64
	ModTime time.Time
	ETag    string // object storage: ETag or generation; "" locally
	IsDir   bool
}

// Entry is one name found by List.
type Entry struct {
	Info
	Symlink bool  // a symbolic link (followed for files, not for directories)
	Err     error // the entry could not be examined; Info holds only Name
}

// Reader is an open input: ranged reads, its size, and what it was when
// opened (its identity, without the footer hash).
type Reader interface {
	io.ReaderAt
	io.Closer
	Info() Info
}

// Writer is an output being written; see Storage.Create.
type Writer interface {
	io.Writer
	// Name is the final name.
	Name() string
	// Size is the number of bytes written so far.
	Size() int64
	// Commit makes the whole output visible under its name, or fails and
	// leaves nothing visible.
	Commit() error
	// Abort throws the output away. It is idempotent and does nothing
	// after Commit.
	Abort() error
}

// Lock is a held lock.
type Lock interface {
	// Release gives the lock up. It is idempotent.
	Release() error
}

// Holder says who holds a lock. It is recorded with the lock.
type Holder struct {
	Host    string    `json:"host"`
	PID     int       `json:"pid"`
	Since   time.Time `json:"since"`
	Expires time.Time `json:"expires,omitzero"` // leases only
}

// ErrLocked is wrapped by every *LockedError.
var ErrLocked = errors.New("held by another run")

// LockedError is a lock held by another run.
type LockedError struct {
	Name   string
	Holder Holder // zero when the holder could not be read
}

func (e *LockedError) Error() string {
	if e.Holder.PID == 0 && e.Holder.Host == "" {
		return fmt.Sprintf("lock %s is %s (holder unknown)", e.Name, ErrLocked)
	}
	s := fmt.Sprintf("lock %s is %s: pid %d on host %s since %s", e.Name, ErrLocked,
		e.Holder.PID, e.Holder.Host, e.Holder.Since.UTC().Format(time.RFC3339))
	if !e.Holder.Expires.IsZero() {
		s += ", lease until " + e.Holder.Expires.UTC().Format(time.RFC3339)
	}
	return s
}

// Unwrap makes errors.Is(err, ErrLocked) hold.
func (e *LockedError) Unwrap() error { return ErrLocked }

// For returns the Storage that serves name: Blob for a URL (s3://, gs://,
// azblob://, file://; any other scheme fails there as a usage error,
// before anything is opened), Local for a path.
func For(name string) Storage {
	if IsURL(name) {
		return blobs
	}
	return local
}

var (
	local = NewLocal(nil)
	blobs = NewBlob()
)

// Blobs returns the Blob that For hands out for URLs.
func Blobs() *Blob { return blobs }
