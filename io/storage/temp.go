package storage

import (
	"crypto/rand"
	"encoding/hex"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// TempPrefix starts the name of every temp file contextualize writes:
// TempPrefix + 16 random hex digits + "." + the target's base name. The
// leading dot hides it from Hadoop, Spark, DuckDB and contextualize's own
// directory expansion; the prefix is what the cleanup looks for, so it never
// takes a user's ".x.tmp-1" for one of its own.
const TempPrefix = ".contextualize-tmp-"

// maxBase bounds the part of the target's base name kept in a temp name, so
// that the temp name fits in 255 bytes (NAME_MAX) whatever the target's.
const maxBase = 255 - len(TempPrefix) - 16 - 1

// TempName returns a fresh temp file name for path, in path's directory.
func TempName(path string) string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	dir, base := filepath.Split(path)
	return filepath.Join(dir, TempPrefix+hex.EncodeToString(b[:])+"."+truncBase(base))
}

// truncBase cuts base to maxBase bytes at a rune boundary.
func truncBase(base string) string {
	if len(base) <= maxBase {
		return base
	}
	cut := maxBase
	for cut > 0 && !utf8.RuneStart(base[cut]) {
		cut--
	}
	return base[:cut]
}

// IsTemp reports whether name (a base name) is a temp file name made by
// TempName.
func IsTemp(name string) bool {
	_, ok := tempTarget(name)
	return ok
}

// tempTarget returns the (possibly truncated) target base name of a temp
// file name, and whether name is one.
func tempTarget(name string) (string, bool) {
	rest, ok := strings.CutPrefix(name, TempPrefix)
	if !ok || len(rest) < 18 || rest[16] != '.' {
		return "", false
	}
	for _, c := range rest[:16] {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return "", false
		}
	}
	return rest[17:], true
}

// isTempOf reports whether name is a temp file name of the target base name.
func isTempOf(name, base string) bool {
	t, ok := tempTarget(name)
	return ok && t == truncBase(base)
}
