//go:build !unix && !windows

package storage

import "errors"

var errNoLocks = errors.New("file locks are not supported on this platform")

// tryLock cannot lock here: it reports an error, so runs refuse to start
// rather than run unprotected, and the temp cleanup keeps every file.
func tryLock(uintptr) (bool, error) { return false, errNoLocks }

func unlock(uintptr) error { return nil }

// locksWork reports whether tryLock can tell a live holder from none.
const locksWork = false

func lockWait(uintptr) error { return errNoLocks }
