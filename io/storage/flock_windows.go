//go:build windows

package storage

import (
	"errors"

	"golang.org/x/sys/windows"
)

// lockOffset is the byte range locked: far beyond any content, because a
// Windows byte-range lock also blocks reads of the range by other handles
// (the holder record must stay readable).
const lockOffset = 0x7fff_ffff

// tryLock takes an exclusive LockFileEx lock without waiting: false when
// another handle holds it. Windows drops it when the process dies.
func tryLock(fd uintptr) (bool, error) {
	ol := windows.Overlapped{OffsetHigh: lockOffset}
	err := windows.LockFileEx(windows.Handle(fd), windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &ol)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, windows.ERROR_LOCK_VIOLATION):
		return false, nil
	}
	return false, err
}

// unlock releases a lock taken by tryLock.
func unlock(fd uintptr) error {
	ol := windows.Overlapped{OffsetHigh: lockOffset}
	return windows.UnlockFileEx(windows.Handle(fd), 0, 1, 0, &ol)
}

// locksWork reports whether tryLock can tell a live holder from none.
const locksWork = true

// lockWait takes an exclusive LockFileEx lock, waiting for it.
func lockWait(fd uintptr) error {
	ol := windows.Overlapped{OffsetHigh: lockOffset}
	return windows.LockFileEx(windows.Handle(fd), windows.LOCKFILE_EXCLUSIVE_LOCK, 0, 1, 0, &ol)
}
