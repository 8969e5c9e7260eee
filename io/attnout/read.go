package attnout

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/contextualize/contextualize/io/storage"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// Scan reads the attention-weights file at path (a local path or a URL,
// opened through io/storage with ranged reads) (as Writer writes it, or
// any Parquet file with the same columns) and calls fn for every row in
// file order, stopping at fn's first error.
func Scan(path string, fn func(Row) error) error {
	f, err := storage.For(path).Open(context.Background(), path)
	if err != nil {
		return fmt.Errorf("reading attention weights: %w", err)
	}
	defer f.Close()
	pf, err := parquet.OpenFile(f, f.Info().Size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return fmt.Errorf("reading attention weights %s: %w", path, err)
	}
	for _, col := range []string{"sequence", "head", "query", "key", "weight"} {
		if _, ok := pf.Schema().Lookup(col); !ok {
			return fmt.Errorf("reading attention weights %s: expected a column %q (a file written by attend --attention-output), found none", path, col)
		}
	}
	r := parquet.NewGenericReader[Row](pf)
	defer r.Close()
	buf := make([]Row, 4096)
	ahead := readAhead{f: f, md: pf.Metadata()}
	for read := int64(0); ; {
		ahead.reached(read)
		n, err := r.Read(buf)
		read += int64(n)
		for _, row := range buf[:n] {
			if ferr := fn(row); ferr != nil {
				return ferr
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading attention weights %s: %w", path, err)
		}
	}
}

// scanWindow bounds the bytes an object-storage input is read ahead.
const scanWindow = 16 << 20

// readAhead hints the column chunks of the row group being read and of
// the next one to an object-storage input (a storage.Prefetcher), so that
// it fetches them in a few large GETs instead of one per 4 KiB read.
type readAhead struct {
	f      storage.Reader
	md     *format.FileMetaData
	rg     int   // row groups hinted so far
	hinted int64 // rows in them
}

// reached is told the number of rows read so far.
func (a *readAhead) reached(rows int64) {
	p, ok := a.f.(storage.Prefetcher)
	for ok && a.rg < len(a.md.RowGroups) && (a.rg < 2 || rows >= a.hinted-a.md.RowGroups[a.rg-1].NumRows) {
		var ranges []storage.Range
		for _, c := range a.md.RowGroups[a.rg].Columns {
			m := &c.MetaData
			start := m.DataPageOffset
			if m.DictionaryPageOffset > 0 && m.DictionaryPageOffset < start {
				start = m.DictionaryPageOffset
			}
			ranges = append(ranges, storage.Range{Off: start, Len: m.TotalCompressedSize})
		}
		p.Prefetch(ranges, scanWindow)
		a.hinted += a.md.RowGroups[a.rg].NumRows
		a.rg++
	}
}
