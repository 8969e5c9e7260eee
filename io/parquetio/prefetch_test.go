package parquetio

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"sync"
	"testing"

	"github.com/contextualize/contextualize/io/storage"
)

// hintChecker is a local file posing as an object-storage input: it
// records the ranges Prefetch hints and every read of bytes that are
// neither hinted nor part of the magic or the footer, which on object
// storage would each be a GET of its own.
type hintChecker struct {
	*os.File
	size, footer int64
	mu           sync.Mutex
	hinted       []storage.Range
	unhinted     []string
}

func (h *hintChecker) Prefetch(ranges []storage.Range, window int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.hinted = append(h.hinted, ranges...)
}

func (h *hintChecker) ReadAt(p []byte, off int64) (int, error) {
	h.mu.Lock()
	ok := off+int64(len(p)) <= 4 || off >= h.footer
	for _, r := range h.hinted {
		ok = ok || off >= r.Off && off+int64(len(p)) <= r.Off+r.Len
	}
	if !ok {
		h.unhinted = append(h.unhinted, fmt.Sprintf("%d bytes at %d", len(p), off))
	}
	h.mu.Unlock()
	return h.File.ReadAt(p, off)
}

func openHintChecker(t *testing.T, path string) (*File, *hintChecker) {
	t.Helper()
	osf, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := osf.Stat()
	var tail [8]byte
	if _, err := osf.ReadAt(tail[:], st.Size()-8); err != nil {
		t.Fatal(err)
	}
	h := &hintChecker{File: osf, size: st.Size(), footer: st.Size() - 8 - int64(binary.LittleEndian.Uint32(tail[:4]))}
	f, err := OpenReaderAtWith(path, h, st.Size(), OpenOptions{MemoryLimit: 64 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f, h
}

// Every column chunk read of a job (its keys, its values, the writer's
// copy of the other columns) is hinted before it is read, on files DuckDB
// wrote: on object storage no page is a GET of its own.
func TestEveryChunkReadIsHinted(t *testing.T) {
	for _, tc := range []struct {
		file, value, id, order string
	}{
		{"../../testdata/interleave/duckdb_time_ordered_small_rg.parquet", "value", "series_id", "timestamp"},
		{"../../testdata/interop/long_f32_fixed8.parquet", "embedding", "sequence_id", "position"},
		{"../../testdata/interop/long_unordered_positions.parquet", "embedding", "sequence_id", "position"},
	} {
		for _, v := range []struct{ replace, keys bool }{{true, true}, {false, true}, {true, false}} {
			replace := v.replace
			t.Run(fmt.Sprintf("%s replace=%v keys=%v", tc.file, replace, v.keys), func(t *testing.T) {
				f, h := openHintChecker(t, tc.file)
				opts := WriterOptions{ValueColumn: tc.value}
				if !replace {
					opts.OutputColumn = "out"
				}
				w, err := NewWriter(io.Discard, f, opts)
				if err != nil {
					t.Fatal(err)
				}
				readKeys := func(rg int) {
					if _, _, err := f.ReadRuns(rg, tc.id); err != nil {
						t.Fatal(err)
					}
					arr, err := f.ReadColumn(rg, tc.order)
					if err != nil {
						t.Fatal(err)
					}
					arr.Release()
					if tc.order == "timestamp" {
						if _, _, _, err := f.ReadInt64s(rg, tc.order, nil); err != nil {
							t.Fatal(err)
						}
					}
				}
				for rg := 0; rg < f.NumRowGroups(); rg++ {
					if v.keys { // else the writer copies them unread
						readKeys(rg)
					}
					vals, err := f.ReadValues(rg, ReadSpec{Column: tc.value}, nil)
					if err != nil {
						t.Fatal(err)
					}
					if err := w.WriteRowGroup(rg, vals); err != nil {
						t.Fatal(err)
					}
				}
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
				if len(h.hinted) == 0 || len(h.unhinted) > 0 {
					t.Errorf("%d hints; reads outside them: %v", len(h.hinted), h.unhinted)
				}
			})
		}
	}
}
