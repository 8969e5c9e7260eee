package storage

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"testing"
)

// parquetLike is data followed by a footer of n bytes, its length and the
// magic number.
func parquetLike(data []byte, n int) []byte {
	f := append([]byte("PAR1"), data...)
	for i := range n {
		f = append(f, byte(i*7))
	}
	f = binary.LittleEndian.AppendUint32(f, uint32(n))
	return append(f, "PAR1"...)
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(h[:])
}

// shortReader returns at most n bytes of every read, with no error.
type shortReader struct {
	r io.ReaderAt
	n int
}

func (s shortReader) ReadAt(p []byte, off int64) (int, error) {
	if len(p) > s.n {
		p = p[:s.n]
	}
	return s.r.ReadAt(p, off)
}

func TestFooterHash(t *testing.T) {
	data := bytes.Repeat([]byte("values"), 2000)
	small := parquetLike(data, 450)
	big := parquetLike(data, footerReadMax+100) // read in chunks
	notParquet := bytes.Repeat([]byte("x"), 9000)
	for _, tc := range []struct {
		name string
		file []byte
		want string
	}{
		{"small footer", small, sum(small[len(small)-458:])},
		{"footer above footerReadMax", big, sum(big[len(big)-(footerReadMax+108):])},
		{"not parquet: the last 4 KiB", notParquet, sum(notParquet[len(notParquet)-footerTailMax:])},
		{"tiny file", []byte("PAR1"), sum([]byte("PAR1"))},
	} {
		got, err := FooterHash(bytes.NewReader(tc.file), int64(len(tc.file)))
		if err != nil || got != tc.want {
			t.Errorf("%s: %s, %v; want %s", tc.name, got, err, tc.want)
		}
	}
	// A file shorter than its size says (truncated while read) is an error.
	if _, err := FooterHash(shortReader{bytes.NewReader(small), 100}, int64(len(small))); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("short read: %v, want io.ErrUnexpectedEOF", err)
	}
}
