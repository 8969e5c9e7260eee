package main

import (
	"context"
	"fmt"

	"github.com/contextualize/contextualize/io/parquetio"
	"github.com/contextualize/contextualize/io/storage"
)

// openStored opens a Parquet file through io/storage: a local path or
// an object-storage URL, read with ranged reads
// (the footer only, for the metadata the re-run checks need).
func openStored(path string) (*parquetio.File, error) {
	r, err := storage.For(path).Open(context.Background(), path)
	if err != nil {
		return nil, fmt.Errorf("opening parquet file: %w", err)
	}
	return parquetio.OpenReaderAt(path, r, r.Info().Size)
}
