package parquetio

import (
	"fmt"
	"testing"
)

// BenchmarkValuePages reads the value column of the DuckDB-style file of
// BenchmarkPassthroughVerify (data pages v1, zstd, optional list vectors)
// with this package's page reader and with parquet-go's page decoding
// (after the page scan it needs), on a fresh File each time.
func BenchmarkValuePages(b *testing.B) {
	path := benchPassFile(b)
	for _, ours := range []bool{true, false} {
		name := "reader=parquet-go"
		if ours {
			name = "reader=pages"
		}
		b.Run(name, func(b *testing.B) {
			defer func(old bool) { directReads = old }(directReads)
			directReads = ours
			b.SetBytes(benchRows * benchD * 4)
			var reuse Floats
			for i := 0; i < b.N; i++ {
				f, err := Open(path)
				if err != nil {
					b.Fatal(err)
				}
				for rg := 0; rg < f.NumRowGroups(); rg++ {
					if _, err := f.ReadValues(rg, ReadSpec{Column: "embedding", D: benchD}, &reuse); err != nil {
						b.Fatal(fmt.Errorf("rg %d: %w", rg, err))
					}
				}
				f.Close()
			}
		})
	}
}
