package parquetio

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/lz4"
)

// TestLZ4RawIsRefused: parquet-go v0.32.0 keeps a stale buffer when its
// LZ4 codec reallocates (parquet-go/parquet-go#608), so LZ4_RAW pages can
// read back wrong with no error. Refusing them is better than garbage.
func TestLZ4RawIsRefused(t *testing.T) {
	type row struct {
		Value float64 `parquet:"value"`
	}
	rows := make([]row, 5000)
	for i := range rows {
		rows[i].Value = float64(i) * 1.25
	}
	path := filepath.Join(t.TempDir(), "lz4.parquet")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[row](f, parquet.Compression(&lz4.Codec{Level: lz4.Fast}))
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	pf, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	_, err = pf.ReadValues(0, ReadSpec{Column: "value"}, nil)
	var de *DataError
	if !errors.As(err, &de) || !strings.Contains(err.Error(), "LZ4_RAW") || !strings.Contains(err.Error(), "lz4.parquet") {
		t.Fatalf("want a DataError naming the file and LZ4_RAW, got %v", err)
	}
}
