//go:build unix

package storage

import (
	"errors"

	"golang.org/x/sys/unix"
)

// tryLock takes an exclusive flock(2) on the open file fd without waiting:
// false when another open file description holds it. The lock goes away
// with the descriptor, so a killed process never leaves one behind.
func tryLock(fd uintptr) (bool, error) {
	for {
		err := unix.Flock(int(fd), unix.LOCK_EX|unix.LOCK_NB)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.EWOULDBLOCK):
			return false, nil
		}
		return false, err
	}
}

// unlock releases a lock taken by tryLock.
func unlock(fd uintptr) error { return unix.Flock(int(fd), unix.LOCK_UN) }

// locksWork reports whether tryLock can tell a live holder from none.
const locksWork = true

// lockWait takes an exclusive flock(2), waiting for it.
func lockWait(fd uintptr) error {
	for {
		err := unix.Flock(int(fd), unix.LOCK_EX)
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}
