package attnout

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/contextualize/contextualize/io/storage"
	"github.com/parquet-go/parquet-go"
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
	pf, err := parquet.OpenFile(f, f.Info().Size)
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
	for {
		n, err := r.Read(buf)
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
