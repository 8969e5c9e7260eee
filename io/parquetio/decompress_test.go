package parquetio

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

var pageCodecs = []format.CompressionCodec{format.Uncompressed, format.Snappy, format.Gzip, format.Brotli, format.Zstd, format.Lz4Raw}

func encodePage(t testing.TB, id format.CompressionCodec, src []byte) []byte {
	t.Helper()
	if id == format.Uncompressed {
		return bytes.Clone(src)
	}
	b, err := parquet.LookupCompressionCodec(id).Encode(nil, src)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// allocated returns the bytes fn allocated on the heap.
func allocated(fn func()) uint64 {
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	fn()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// TestDecompressPage: every codec round-trips exactly into the declared
// size; more or fewer bytes than declared is corrupt; a bomb (8 MiB of
// zeros declared as 4 KiB) is cut off without allocating its size (brotli
// allocates its window, at most 16 MiB, whatever the page).
func TestDecompressPage(t *testing.T) {
	page := []byte(strings.Repeat("contextualize page ", 500))
	bomb := make([]byte, 32<<20)
	for _, id := range pageCodecs {
		t.Run(id.String(), func(t *testing.T) {
			comp := encodePage(t, id, page)
			got, err := decompressPage(id, nil, comp, len(page))
			if err != nil || !bytes.Equal(got, page) {
				t.Fatalf("round trip: err %v, equal %v", err, bytes.Equal(got, page))
			}
			for _, size := range []int{len(page) - 1, len(page) + 1} {
				_, err := decompressPage(id, nil, comp, size)
				// pierrec/lz4 does not tell a short buffer from bad data
				if !errors.Is(err, parquet.ErrCorrupted) || (id != format.Lz4Raw && !errors.Is(err, errPageSize)) {
					t.Errorf("declared %d of %d bytes: got %v, want a page size mismatch", size, len(page), err)
				}
			}
			bc := encodePage(t, id, bomb)
			var berr error
			n := allocated(func() { _, berr = decompressPage(id, nil, bc, 4096) })
			if !errors.Is(berr, parquet.ErrCorrupted) {
				t.Errorf("bomb: got %v, want corrupt", berr)
			}
			if limit := uint64(2 << 20); n > limit && (id != format.Brotli || n > limit+16<<20) {
				t.Errorf("bomb of %d bytes declared as 4096 allocated %d bytes", len(bomb), n)
			}
			if _, err := decompressPage(id, nil, []byte{0xff, 0xfe, 0xfd, 0x00, 0x01}, len(page)); err == nil {
				t.Errorf("garbage decompressed without an error")
			}
		})
	}
}

// TestDecompressionBombInFile: a page whose body expands to 64 MiB more
// than its header declares fails as corrupt input, through parquet-go's
// page reader (v1) and readDirect (v2), without allocating the 64 MiB.
func TestDecompressionBombInFile(t *testing.T) {
	rows := make([]rowScalarF32, 1000)
	for i := range rows {
		rows[i] = rowScalarF32{ID: "a", Pos: int64(i), Value: float32(i)}
	}
	for _, v := range []int{1, 2} {
		t.Run(fmt.Sprintf("v%d", v), func(t *testing.T) {
			dir := t.TempDir()
			in := writeFile(t, dir, "in.parquet", rows, parquet.Compression(&parquet.Gzip), parquet.DataPageVersion(v))
			out := filepath.Join(dir, "bomb.parquet")
			rewritePages(t, in, out, func(col string, _ int, h *format.PageHeader, body []byte) []byte {
				if col != "value" || h.Type == format.DictionaryPage {
					return body
				}
				levels := 0
				if h.DataPageHeaderV2.Valid {
					levels = int(h.DataPageHeaderV2.V.RepetitionLevelsByteLength + h.DataPageHeaderV2.V.DefinitionLevelsByteLength)
				}
				plain, err := decompressPage(format.Gzip, nil, body[levels:], int(h.UncompressedPageSize)-levels)
				if err != nil {
					t.Fatal(err)
				}
				plain = append(plain, make([]byte, 64<<20)...)
				return append(body[:levels:levels], encodePage(t, format.Gzip, plain)...)
			})
			f, err := Open(out)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var rerr error
			n := allocated(func() { _, rerr = f.ReadValues(0, ReadSpec{Column: "value"}, nil) })
			var ce *CorruptError
			if !errors.As(rerr, &ce) || !strings.Contains(rerr.Error(), "bomb.parquet") {
				t.Fatalf("got %v, want a CorruptError naming the file", rerr)
			}
			if n > 16<<20 {
				t.Errorf("reading the bomb allocated %d bytes", n)
			}
		})
	}
}

// TestPageAboveMemoryLimit: a page whose header declares more than the
// memory limit is bad input naming the file, row group, column and size,
// refused before it is read.
func TestPageAboveMemoryLimit(t *testing.T) {
	rows := make([]rowScalarF32, 100)
	dir := t.TempDir()
	in := writeFile(t, dir, "in.parquet", rows, parquet.Compression(&parquet.Zstd))
	out := filepath.Join(dir, "huge.parquet")
	rewritePages(t, in, out, func(col string, _ int, h *format.PageHeader, body []byte) []byte {
		if col == "value" {
			h.UncompressedPageSize = 100 << 20
		}
		return body
	})
	f, err := OpenWith(out, OpenOptions{MemoryLimit: 64 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_, err = f.ReadValues(0, ReadSpec{Column: "value"}, nil)
	var de *DataError
	if !errors.As(err, &de) || de.RowGroup != 0 || de.Column != "value" || !strings.Contains(err.Error(), "huge.parquet") ||
		!strings.Contains(err.Error(), "104857600") || !strings.Contains(err.Error(), "memory-limit") {
		t.Fatalf("got %v, want a DataError naming file, row group 0, column value and the size", err)
	}
}
