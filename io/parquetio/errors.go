package parquetio

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"syscall"
)

// DataError describes bad input precisely: which file, row group, row and
// column, what was expected and what was found. RowGroup and Row are -1 when
// they do not apply (for example a missing column).
type DataError struct {
	File     string
	RowGroup int
	Row      int64 // file row index, -1 if n/a
	// Sequence is the id of the sequence the row belongs to, as text, when
	// the reader of the key columns knows it ("" otherwise).
	Sequence string
	Column   string
	Expected string
	Found    string
}

// Error formats the error as
// `data.parquet: row group 2, row 10443, sequence "s17", column "embedding": expected a vector of 384 float32 values, found 383`.
func (e *DataError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	var parts []string
	if e.RowGroup >= 0 {
		parts = append(parts, fmt.Sprintf("row group %d", e.RowGroup))
	}
	if e.Row >= 0 {
		parts = append(parts, fmt.Sprintf("row %d", e.Row))
	}
	if e.Sequence != "" {
		parts = append(parts, fmt.Sprintf("sequence %q", e.Sequence))
	}
	if e.Column != "" {
		parts = append(parts, fmt.Sprintf("column %q", e.Column))
	}
	if len(parts) > 0 {
		b.WriteString(": ")
		b.WriteString(strings.Join(parts, ", "))
	}
	b.WriteString(": expected ")
	b.WriteString(e.Expected)
	b.WriteString(", found ")
	b.WriteString(e.Found)
	return b.String()
}

// InputError reports that a DataError is bad input (exit 3), for callers
// that classify errors without importing this package.
func (e *DataError) InputError() bool { return true }

// CorruptError reports bytes that are not valid Parquet where they were
// read: a footer, page header, page, level or value run, or a column chunk
// offset that does not hold up. The message names the file, and the row
// group and column when they are known. Retrying cannot help: it is bad
// input (exit 3), unlike a failing read (an *fs.PathError, exit 1).
type CorruptError struct {
	Err error
}

// Error returns the wrapped error's message.
func (e *CorruptError) Error() string { return e.Err.Error() }

// Unwrap returns the wrapped error.
func (e *CorruptError) Unwrap() error { return e.Err }

// InputError reports that the error is bad input.
func (e *CorruptError) InputError() bool { return true }

// asInput marks err, met while reading a file's bytes, as bad input
// unless the file system failed (retrying may help then), the error is
// already classified, or it is the ErrNotInt64 signal callers fall back on.
func asInput(err error) error {
	if err == nil || isFileSystem(err) || errors.Is(err, ErrNotInt64) {
		return err
	}
	var ie interface{ InputError() bool }
	if errors.As(err, &ie) {
		return err
	}
	return &CorruptError{Err: err}
}

// isFileSystem reports whether err comes from the file system (a failing
// read or open) rather than from the bytes read.
func isFileSystem(err error) bool {
	var pe *fs.PathError
	var se *os.SyscallError
	var errno syscall.Errno
	return errors.As(err, &pe) || errors.As(err, &se) || errors.As(err, &errno)
}

// errDecoder is the cause of a CorruptError made from a panic recovered in
// the Parquet decoder: the panic's text (Go runtime wording such as "slice
// bounds out of range") is not shown to users.
var errDecoder = errors.New("malformed data: the Parquet decoder could not read it")

// decoderPanic turns a panic recovered while reading row group rg, column
// col of the file into a CorruptError naming them.
func (f *File) decoderPanic(rg int, col string) error {
	return &CorruptError{Err: fmt.Errorf("reading %s: row group %d, column %q: %w", f.path, rg, col, errDecoder)}
}
