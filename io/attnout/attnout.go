// Package attnout writes attention weights as Parquet: one row per
// (sequence, head, query, key) with the softmax probability, for
// `contextualize attend --attention-output`.
//
// The file is written under a temporary name and renamed into place by
// Commit, like every output of contextualize. A row limit guards against
// the quadratic size of attention maps: a run that would exceed it fails
// before writing the sequence that crosses it.
package attnout

import (
	"context"
	"errors"
	"fmt"

	"github.com/contextualize/contextualize/io/storage"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/compress/zstd"
)

// DefaultLimit is the default bound on weights (rows) per file: 50 million
// rows, about 400 MB of float64 probabilities before compression.
const DefaultLimit = 50_000_000

// ErrTooLarge is returned when a file's weights would exceed the limit.
var ErrTooLarge = errors.New("attention weights exceed the row limit")

// Row is one attention weight. Head is -1 for weights averaged over heads;
// Query and Key are positions in the sequence's order (0-based).
type Row struct {
	Sequence string  `parquet:"sequence"`
	Head     int32   `parquet:"head"`
	Query    int32   `parquet:"query"`
	Key      int32   `parquet:"key"`
	Weight   float64 `parquet:"weight"`
}

// Writer writes one attention-weights file.
type Writer struct {
	path  string
	af    storage.Writer
	pw    *parquet.GenericWriter[Row]
	buf   []Row
	rows  int64
	limit int64
}

const bufferRows = 1 << 14

// Create starts the weights file at path (parent directories created).
func Create(path string, limit int64) (*Writer, error) {
	if limit <= 0 {
		limit = DefaultLimit
	}
	af, err := storage.For(path).Create(context.Background(), path)
	if err != nil {
		return nil, fmt.Errorf("creating attention output %s: %w", path, err)
	}
	var codec compress.Codec = &zstd.Codec{}
	pw := parquet.NewGenericWriter[Row](af, parquet.Compression(codec), parquet.MaxRowsPerRowGroup(1<<20))
	return &Writer{path: path, af: af, pw: pw, buf: make([]Row, 0, bufferRows), limit: limit}, nil
}

// Reserve checks that n more rows fit under the limit; seq names the
// sequence for the message.
func (w *Writer) Reserve(seq string, n int64) error {
	if w.rows+n > w.limit {
		return fmt.Errorf("writing %s: sequence %q adds %d weights to %d: %w (limit %d; use --average-heads or --window to shrink them)",
			w.path, seq, n, w.rows, ErrTooLarge, w.limit)
	}
	w.rows += n
	return nil
}

// Add appends one weight.
func (w *Writer) Add(seq string, head, q, k int, weight float64) error {
	w.buf = append(w.buf, Row{Sequence: seq, Head: int32(head), Query: int32(q), Key: int32(k), Weight: weight})
	if len(w.buf) == cap(w.buf) {
		return w.flush()
	}
	return nil
}

func (w *Writer) flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	if _, err := w.pw.Write(w.buf); err != nil {
		return fmt.Errorf("writing %s: %w", w.path, err)
	}
	w.buf = w.buf[:0]
	return nil
}

// Commit finishes the file and renames it into place.
func (w *Writer) Commit() error {
	if err := w.flush(); err != nil {
		w.Abort()
		return err
	}
	if err := w.pw.Close(); err != nil {
		w.Abort()
		return fmt.Errorf("finishing %s: %w", w.path, err)
	}
	if err := w.af.Commit(); err != nil {
		return fmt.Errorf("committing %s: %w", w.path, err)
	}
	return nil
}

// Abort removes the temporary file; nothing becomes visible.
func (w *Writer) Abort() { w.af.Abort() }
