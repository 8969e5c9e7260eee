package main

import (
	"path/filepath"

	"github.com/contextualize/contextualize/io/storage"
)

// cleanLocation is a path cleaned, or a URL normalised (as it was written
// if it does not parse: the run fails on it later).
func cleanLocation(p string) string {
	if storage.IsURL(p) {
		if r, err := storage.For(p).Resolve(p); err == nil {
			return r
		}
		return p
	}
	return filepath.Clean(p)
}
