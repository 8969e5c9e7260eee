package storage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// LocalCondStore is a CondStore on a local filesystem, for leases where
// flock is not enough (a directory shared over a filesystem without
// working locks) and to test the lease logic without a server. Each
// conditional operation runs under an flock on name+".guard"; a version is
// the sha256 of the content; creation uses O_EXCL.
type LocalCondStore struct{ fs FS }

// NewLocalCondStore returns a LocalCondStore over fsys (nil: the OS).
func NewLocalCondStore(fsys FS) *LocalCondStore {
	if fsys == nil {
		fsys = Default
	}
	return &LocalCondStore{fs: fsys}
}

func version(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// guarded runs fn holding the guard lock of name.
func (c *LocalCondStore) guarded(name string, fn func() error) error {
	if err := c.fs.MkdirAll(filepath.Dir(name), 0o777); err != nil {
		return err
	}
	g, err := c.fs.OpenFile(name+".guard", os.O_RDWR|os.O_CREATE, 0o666)
	if err != nil {
		return err
	}
	defer g.Close()
	fd, ok := fileFd(g)
	if !ok {
		return fmt.Errorf("locking %s.guard: not an OS file", name)
	}
	if err := lockWait(fd); err != nil {
		return fmt.Errorf("locking %s.guard: %w", name, err)
	}
	defer unlock(fd)
	return fn()
}

// CreateIfAbsent creates name with O_EXCL and writes data to it.
func (c *LocalCondStore) CreateIfAbsent(_ context.Context, name string, data []byte) (string, error) {
	err := c.guarded(name, func() error {
		f, err := c.fs.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
		if err != nil {
			return err
		}
		_, err = f.Write(data)
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			c.fs.Remove(name)
		}
		return err
	})
	return version(data), err
}

// Read returns name's content and version.
func (c *LocalCondStore) Read(_ context.Context, name string) (data []byte, v string, err error) {
	err = c.guarded(name, func() error {
		data, err = ReadFile(c.fs, name)
		return err
	})
	return data, version(data), err
}

// ReplaceIf replaces name atomically if its content is still at v.
func (c *LocalCondStore) ReplaceIf(_ context.Context, name, v string, data []byte) (string, error) {
	err := c.guarded(name, func() error {
		if err := c.check(name, v); err != nil {
			return err
		}
		return WriteFileAtomic(c.fs, name, data)
	})
	return version(data), err
}

// DeleteIf removes name if its content is still at v.
func (c *LocalCondStore) DeleteIf(_ context.Context, name, v string) error {
	return c.guarded(name, func() error {
		if err := c.check(name, v); err != nil {
			return err
		}
		return c.fs.Remove(name)
	})
}

func (c *LocalCondStore) check(name, v string) error {
	cur, err := ReadFile(c.fs, name)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s: %w (it is gone)", name, ErrPrecondition)
	}
	if err != nil {
		return err
	}
	if version(cur) != v {
		return fmt.Errorf("%s: %w", name, ErrPrecondition)
	}
	return nil
}
