// Package storage makes output files appear atomically and gives the rest
// of contextualize a small filesystem seam (FS) so that every file
// operation can be observed and made to fail in tests.
//
// # Atomic files
//
// CreateAtomic opens a temporary file in the target's own directory, named
// "." + base + ".tmp-" + 16 random hex digits. The leading dot makes Hadoop,
// Spark, DuckDB and contextualize itself skip it while it is being written.
// Commit then runs, in this order:
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
// A process killed between create and rename leaves its temp file behind.
// CleanStale removes such files below a directory; CleanStaleFor removes
// only the temp files of given target paths, which is what a shard of a
// sharded job must use, so that it never deletes the in-progress temp files
// of the other shards writing into the same directory.
//
// # Fault injection
//
// OS() (type OSFS) is the real filesystem. FaultFS wraps any FS, logs every operation
// (open, write, sync, close, rename, remove, syncdir, stat, readdir,
// mkdirall, read) and asks an Injector whether to fail it; FailNth fails
// the Nth operation (pebble's errorfs style). Injected errors are
// *fs.PathError values wrapping ErrInjected, so they classify as I/O errors.
package storage
