package storage

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// startWriteback asks the kernel to start writing bytes [off, off+n) of f
// to disk without waiting (sync_file_range with SYNC_FILE_RANGE_WRITE, as
// RocksDB's bytes_per_sync does). It is only a hint: durability still comes
// from the fsync in Commit, and an error (a filesystem that does not
// support it, or a File that is not an OS file) is ignored.
func startWriteback(f File, off, n int64) {
	sc, ok := f.(syscall.Conn)
	if !ok {
		return
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Control(func(fd uintptr) {
		_ = unix.SyncFileRange(int(fd), off, n, unix.SYNC_FILE_RANGE_WRITE)
	})
}
