package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"syscall"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/contextualize/contextualize/io/storage"
)

// Unit is one input file and the output it is written to.
type Unit struct {
	Index  int    // position in the list sorted by Output, 0-based
	Input  string // input path as found (cleaned)
	Rel    string // path relative to its root (directory or glob prefix), or the base name
	Output string // OutDir joined with Rel
	Size   int64  // input size in bytes
	// Err is set for an entry that was found while listing a directory but
	// could not be examined (a dangling symbolic link, a link loop): the
	// unit fails alone, as a bad input, and the others are processed.
	Err error
}

// Expand turns INPUT arguments into units, sorted by Output.
//
//   - An existing file (whatever its name) is one unit written to
//     outDir/<its base name>.
//   - An existing directory contributes every regular file named *.parquet
//     (any case) below it, recursively; any file or directory below it whose
//     name starts with "_" or "." is skipped (_SUCCESS, _shards, temp files,
//     .git ...), and so is the output directory when it lies inside (so
//     "smooth . -o out" does not read its own previous outputs). Symbolic
//     links to files are followed, to directories not.
//     Rel is relative to the directory. An empty directory contributes
//     nothing.
//   - Otherwise, an argument with glob metacharacters (* ? [ { and \ on
//     Unix) is a doublestar pattern: as filepath.Glob, plus ** for any
//     number of directories and {a,b} for alternatives. Its root is the
//     longest leading directory without metacharacters
//     ("data/2024-*/**/p*.parquet" -> "data"), and Rel is relative to it. A
//     matched directory is expanded as above (Rel still relative to the
//     glob root); a matched file is taken whatever its extension. A matched
//     name starting with "_" or "." is skipped unless the pattern element
//     that matched it starts with that same character (a name matched by **
//     always is). ** does not descend into symbolic links to directories.
//     A pattern that matches nothing contributes nothing.
//   - A path that does not exist and a malformed pattern are usage errors.
//
// When the inputs hold no file at all (empty directories, patterns matching
// nothing), the error wraps ErrNoInputs, a usage error (exit 2): an empty
// set is a typo far more often than a legitimately empty day, and a
// scheduled job should say so; callers that allow it check with errors.Is.
//
// The same file reached twice with the same output is kept once. Two
// different inputs with the same output, an output path equal to an input
// path, no INPUT at all and an empty outDir are usage errors. Unreadable
// directories are I/O errors.
func Expand(inputs []string, outDir string) ([]Unit, error) {
	if outDir == "" {
		return nil, Usage(errors.New("no output directory given (-o, --output)"))
	}
	return expand(inputs, outDir)
}

// Inputs lists the files the INPUT arguments name, as Expand does, for
// commands that write nothing (inspect): Rel is set, Output is empty.
func Inputs(inputs []string) ([]Unit, error) {
	return expand(inputs, "")
}

// ErrNoInputs is wrapped by the error of Expand and Inputs when the
// arguments hold no input file.
var ErrNoInputs = errors.New("no input files")

func expand(inputs []string, outDir string) ([]Unit, error) {
	if len(inputs) == 0 {
		return nil, Usage(errors.New("no INPUT given: name Parquet files, directories or globs"))
	}
	absOut := ""
	switch {
	case storage.IsURL(outDir):
		r, err := storage.For(outDir).Resolve(outDir)
		if err != nil {
			return nil, Usage(fmt.Errorf("-o %s: %w", outDir, err))
		}
		outDir, absOut = storage.Join(outDir), r
	case outDir != "":
		outDir = filepath.Clean(outDir)
		absOut, _ = filepath.Abs(outDir)
	}
	var units []Unit
	add := func(input, rel string, size int64, err error) {
		u := Unit{Input: input, Rel: rel, Size: size, Err: err}
		if outDir != "" {
			u.Output = storage.Join(outDir, rel)
		}
		units = append(units, u)
	}
	for _, arg := range inputs {
		if arg == "" {
			return nil, Usage(errors.New("empty INPUT argument"))
		}
		if storage.IsURL(arg) {
			if err := expandURL(arg, absOut, add); err != nil {
				return nil, err
			}
			continue
		}
		clean := filepath.Clean(arg)
		fi, err := os.Stat(clean)
		switch {
		case err == nil && fi.IsDir():
			if err := walkDir(clean, clean, absOut, add); err != nil {
				return nil, err
			}
		case err == nil && fi.Mode().IsRegular():
			add(clean, filepath.Base(clean), fi.Size(), nil)
		case err == nil:
			return nil, Usage(fmt.Errorf("input %s: not a regular file or directory (%s)", arg, fi.Mode().Type()))
		case errors.Is(err, fs.ErrNotExist) && hasMeta(arg):
			if err := expandGlob(arg, absOut, add); err != nil {
				return nil, err
			}
		case errors.Is(err, fs.ErrNotExist):
			return nil, Usage(fmt.Errorf("input %s: no such file or directory", arg))
		case errors.Is(err, syscall.ENOTDIR):
			return nil, Usage(fmt.Errorf("input %s: a parent of it is a file, not a directory", arg))
		default:
			return nil, IOError(fmt.Errorf("input %s: %w", arg, err))
		}
	}

	if len(units) == 0 {
		return nil, Usage(fmt.Errorf("%w in %s: no *.parquet file below the directories, no match of the patterns (--allow-empty makes this a run with nothing to do)", ErrNoInputs, strings.Join(inputs, " ")))
	}
	if outDir == "" {
		sort.SliceStable(units, func(i, j int) bool { return units[i].Input < units[j].Input })
		for i := range units {
			units[i].Index = i
		}
		return units, nil
	}
	sort.SliceStable(units, func(i, j int) bool {
		if units[i].Output != units[j].Output {
			return units[i].Output < units[j].Output
		}
		return units[i].Input < units[j].Input
	})
	out := units[:0]
	for _, u := range units {
		if n := len(out); n > 0 && out[n-1].Output == u.Output {
			if samePath(out[n-1].Input, u.Input) {
				continue
			}
			return nil, Usage(fmt.Errorf("inputs %s and %s would both be written to %s", out[n-1].Input, u.Input, u.Output))
		}
		out = append(out, u)
	}
	inputSet := map[string]string{}
	for _, u := range out {
		if abs, err := filepath.Abs(u.Input); err == nil {
			inputSet[abs] = u.Input
		}
	}
	for i := range out {
		out[i].Index = i
		if abs, err := filepath.Abs(out[i].Output); err == nil {
			if in, ok := inputSet[abs]; ok {
				return nil, Usage(fmt.Errorf("output %s would overwrite input %s: choose another -o directory", out[i].Output, in))
			}
		}
	}
	return out, nil
}

func samePath(a, b string) bool {
	if a == b {
		return true
	}
	if storage.IsURL(a) || storage.IsURL(b) {
		return false
	}
	aa, err1 := filepath.Abs(a)
	bb, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && aa == bb
}

// expandURL adds what an INPUT URL names (storage.Blob.ExpandURL: an
// object, else a glob, else a prefix read as a directory, *.parquet only),
// skipping objects under the output location absOut. Rel keeps the path
// relative to the prefix or glob root, hive folders included. A missing
// object with neither glob nor objects below it is a usage error, as a
// missing path is.
func expandURL(arg, absOut string, add func(input, rel string, size int64, err error)) error {
	ms, err := storage.Blobs().ExpandURL(context.Background(), arg)
	if err != nil {
		return classifyStorage(fmt.Errorf("input %s: %w", arg, err))
	}
	for _, m := range ms {
		if absOut != "" {
			if r, err := storage.For(m.Name).Resolve(m.Name); err == nil && storage.Overlap(absOut, r) {
				continue
			}
		}
		add(m.Name, filepath.FromSlash(m.Rel), m.Size, nil)
	}
	return nil
}

// classifyStorage keeps a storage error's own class (a usage error for a
// bad URL, a missing bucket or refused credentials; else I/O).
func classifyStorage(err error) error {
	if Classify(err) == ClassUsage {
		return Usage(err)
	}
	return IOError(err)
}

// hidden reports whether a name is skipped by directory expansion.
func hidden(name string) bool {
	return strings.HasPrefix(name, "_") || strings.HasPrefix(name, ".")
}

// walkDir adds every *.parquet file below dir, with Rel relative to root,
// skipping the output directory absOut if it is below dir. It lists
// through io/storage: names starting with "_" or "." are skipped there,
// symbolic links to files are followed, to directories not (dir itself may
// be one), and an entry named *.parquet that cannot be examined becomes a
// unit that fails alone.
func walkDir(root, dir, absOut string, add func(input, rel string, size int64, err error)) error {
	entries, err := storage.For(dir).List(context.Background(), dir)
	if err != nil {
		return IOError(fmt.Errorf("reading input directory: %w", err))
	}
	for _, e := range entries {
		p := e.Name
		switch {
		case e.Err == nil && e.IsDir && !e.Symlink:
			if abs, err := filepath.Abs(p); err == nil && absOut != "" && abs == absOut {
				continue
			}
			if err := walkDir(root, p, absOut, add); err != nil {
				return err
			}
			continue
		case !strings.EqualFold(filepath.Ext(p), ".parquet") || (e.Err == nil && e.IsDir):
			continue
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return IOError(err)
		}
		err = e.Err
		if err != nil && e.Symlink {
			err = fmt.Errorf("a symbolic link that cannot be followed: %w", err)
		}
		add(p, rel, e.Size, err)
	}
	return nil
}

func expandGlob(pattern, absOut string, add func(input, rel string, size int64, err error)) error {
	if !doublestar.ValidatePathPattern(filepath.ToSlash(pattern)) {
		return Usage(fmt.Errorf("input %s: bad glob pattern", pattern))
	}
	matches, err := doublestar.FilepathGlob(pattern, doublestar.WithNoFollow())
	if err != nil {
		return Usage(fmt.Errorf("input %s: bad glob pattern: %w", pattern, err))
	}
	root := globRoot(pattern)
	patElems := splitPath(relTo(root, pattern))
	for _, m := range matches {
		if skipGlobMatch(patElems, splitPath(relTo(root, m))) {
			continue
		}
		fi, err := os.Stat(m)
		if err != nil {
			return IOError(fmt.Errorf("input %s: %w", m, err))
		}
		switch {
		case fi.IsDir():
			if err := walkDir(root, m, absOut, add); err != nil {
				return err
			}
			continue
		case !fi.Mode().IsRegular():
			continue
		}
		rel, err := filepath.Rel(root, m)
		if err != nil {
			return IOError(err)
		}
		add(filepath.Clean(m), rel, fi.Size(), nil)
	}
	return nil
}

// relTo is p relative to root, as written (p itself when it is not below).
func relTo(root, p string) string {
	if rel, err := filepath.Rel(root, filepath.Clean(p)); err == nil {
		return rel
	}
	return p
}

// skipGlobMatch reports whether a matched path (relative to the glob root)
// has an element starting with "_" or "." that its pattern element does not
// start with. Pattern elements before the first ** match the first
// elements, those after the last ** the last ones; an element matched by **
// itself is skipped when hidden.
func skipGlobMatch(pat, match []string) bool {
	first, last := -1, -1
	for i, p := range pat {
		if p == "**" {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 {
		if len(pat) != len(match) {
			return false
		}
		first, last = len(pat), len(pat)-1
	}
	tail := len(pat) - 1 - last // pattern elements after the last **
	for i, m := range match {
		if !hidden(m) {
			continue
		}
		var p string
		switch {
		case i < first:
			p = pat[i]
		case i >= len(match)-tail:
			p = pat[len(pat)-(len(match)-i)]
		default:
			return true // matched by ** (or by what lies between two)
		}
		if p == "" || p[0] != m[0] {
			return true
		}
	}
	return false
}

func splitPath(p string) []string {
	return strings.Split(filepath.ToSlash(filepath.Clean(p)), "/")
}

func hasMeta(p string) bool {
	magic := `*?[{`
	if runtime.GOOS != "windows" {
		magic = `*?[{\`
	}
	return strings.ContainsAny(p, magic)
}

// globRoot is the longest leading directory of pattern free of
// metacharacters.
func globRoot(pattern string) string {
	root := filepath.Dir(filepath.Clean(pattern))
	for hasMeta(root) {
		root = filepath.Dir(root)
	}
	return root
}
