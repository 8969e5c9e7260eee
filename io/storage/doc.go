// Package storage is where contextualize's bytes live: one Storage
// interface for inputs, outputs, manifests and locks, so that local files
// and object storage (gocloud.dev/blob, see Blob) are used the same way.
//
// # The seam
//
// For(name) returns the Storage that serves a location (Local for paths,
// Blob for URLs; Router does the same per call).
// A Storage opens inputs as ranged io.ReaderAt with their Info (size,
// modification time or ETag); Identify adds the sha256 of the Parquet
// footer to make an input's Identity, which the pipeline records in its
// manifests to tell an up-to-date output from a stale one. List returns a
// directory's (or prefix's) entries sorted, skipping "_" and "." names,
// with the entries that cannot be examined carrying their error so that
// they fail alone. Create returns a Writer visible only on Commit. Lock
// takes the lock of an output location and shard. CleanTemps removes only
// this tool's stale temp files. Resolve gives the canonical form used to
// refuse overlapping inputs and outputs.
//
// # Atomic files (Local)
//
// CreateAtomic opens a temporary file in the target's own directory, named
// TempPrefix (".contextualize-tmp-") + 16 random hex digits + "." + the
// target's base name, and flocks it while it is open. The leading dot
// makes Hadoop, Spark, DuckDB and contextualize itself skip it while it is
// being written. Commit then runs, in this order:
//
//	sync temp file -> close -> rename onto the final path -> sync the directory
//
// so the final name only ever points at a complete, durable file. Any error
// before the rename removes the temp file (nothing becomes visible). An error
// from the final directory sync is returned, but the file is already in
// place and complete (it was fsynced before the rename); only the durability
// of the name is in doubt. Abort closes and removes the temp file; it is
// idempotent and a no-op after a successful Commit, so
//
//	f, err := storage.CreateAtomic(fsys, path)
//	if err != nil { return err }
//	defer f.Abort()
//	... write ...
//	return f.Commit()
//
// is the intended use.
//
// A NewBatchLocal (the pipeline's store) defers the last step: Commit
// records the directory instead of syncing it, and SyncDirs later syncs
// each recorded directory once (with the parents of new directories up to
// the batch root), deepest first. Callers call it before recording the
// outputs anywhere; until then a crash may lose a committed name, but never
// leaves one pointing at a partial file.
//
// A process killed between create and rename leaves its temp file behind.
// CleanTemps removes the temp files of given target paths, in the targets'
// own directories only, after taking each file's flock: a file whose
// writer is alive (another run, another shard) is never removed.
//
// # Locks
//
// Local.Lock is an flock on a lock file that records the Holder (host,
// pid, since); the kernel drops it when the holder dies. On object storage
// a Lease plays that part: an object created by a conditional write,
// recording the holder and an expiry, renewed while the run lives and taken
// over once expired. The lease logic is written once over CondStore
// (create-if-absent, replace-if-version, delete-if-version);
// LocalCondStore implements it on a local filesystem.
//
// # Fault injection
//
// OS() (type OSFS) is the real filesystem. FaultFS wraps any FS, logs every operation
// (open, write, sync, close, rename, remove, syncdir, stat, readdir,
// mkdirall, read) and asks an Injector whether to fail it; FailNth fails
// the Nth operation (pebble's errorfs style). Injected errors are
// *fs.PathError values wrapping ErrInjected, so they classify as I/O errors.
// Local writes, lists and locks through an FS.
package storage
