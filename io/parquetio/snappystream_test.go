package parquetio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/snappy"
	"github.com/parquet-go/parquet-go"

	"github.com/contextualize/contextualize/io/storage"
)

// snappyInputs are blocks' contents of every kind: empty, one byte,
// noise (literals only), zeros and short repeats (overlapping copies),
// text-like repeats at all distances, and floats (DuckDB's pages).
func snappyInputs() map[string][]byte {
	rng := rand.New(rand.NewPCG(11, 12))
	noise := make([]byte, 3<<20)
	for i := range noise {
		noise[i] = byte(rng.Uint32())
	}
	words := []string{"series", "value", "position", "a", "bb", "ccc", "0123456789"}
	var text bytes.Buffer
	for text.Len() < 2<<20 {
		text.WriteString(words[rng.IntN(len(words))])
		if rng.IntN(50) == 0 {
			text.Write(noise[:rng.IntN(300)])
		}
	}
	floats := make([]byte, 0, 8<<20)
	x := 0.0
	for len(floats) < 8<<20 {
		x += rng.NormFloat64()
		floats = binary.LittleEndian.AppendUint32(floats, uint32(int32(x*1000))&0xffff00ff)
	}
	// far repeats: a block of noise, then again after 200 KiB and 5 MiB
	far := append(append(append([]byte{}, noise[:100<<10]...), noise[200<<10:400<<10]...), noise[:100<<10]...)
	return map[string][]byte{
		"empty": {}, "one": {7}, "noise": noise, "zeros": make([]byte, 1<<20+17),
		"run": bytes.Repeat([]byte("ab"), 100000), "text": text.Bytes(), "floats": floats, "far": far,
	}
}

// snappyEncoders: Google's format as the klauspost package writes it
// (what parquet-go's SNAPPY codec uses), and s2's snappy-compatible
// encoders, whose copies reach further back than 64 KiB.
var snappyEncoders = map[string]func([]byte) []byte{
	"snappy": func(b []byte) []byte { return snappy.Encode(nil, b) },
	"s2":     func(b []byte) []byte { return s2.EncodeSnappy(nil, b) },
	"s2best": func(b []byte) []byte { return s2.EncodeSnappyBest(nil, b) },
}

// readRandomly reads r to its end in reads of random sizes.
func readRandomly(r io.Reader, rng *rand.Rand) ([]byte, error) {
	var out []byte
	for {
		p := make([]byte, 1+rng.IntN(100000))
		n, err := r.Read(p)
		out = append(out, p[:n]...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

// streamSnappy decodes block through a snappyStream with the given window,
// reading it with read; an error from reset or from read is returned.
func streamSnappy(block []byte, window int, read func(io.Reader) ([]byte, error)) ([]byte, error) {
	s := newSnappyStream(window)
	if err := s.reset(bytes.NewReader(block)); err != nil {
		return nil, err
	}
	return read(s)
}

// TestSnappyStreamMatchesDecode: every block decodes as a stream, in reads
// of random sizes, to what snappy.Decode gives, keeping only the history
// snappyReach finds (which is never more than the block); one byte less of
// history is a corrupt error, never wrong bytes.
func TestSnappyStreamMatchesDecode(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for name, in := range snappyInputs() {
		for enc, encode := range snappyEncoders {
			t.Run(name+"/"+enc, func(t *testing.T) {
				block := encode(in)
				want, err := snappy.Decode(nil, block)
				if err != nil || !bytes.Equal(want, in) {
					t.Fatalf("the encoder's block does not decode (%v)", err)
				}
				reach, err := snappyReach(bytes.NewReader(block), 0, int64(len(block)))
				if err != nil {
					t.Fatal(err)
				}
				if reach > int64(len(in)) {
					t.Fatalf("reach %d past the block's %d bytes", reach, len(in))
				}
				got, err := streamSnappy(block, int(reach), func(s io.Reader) ([]byte, error) { return readRandomly(s, rng) })
				if err != nil || !bytes.Equal(got, in) {
					t.Fatalf("streamed %d bytes (%v), want the %d of the input", len(got), err, len(in))
				}
				if reach == 0 {
					return
				}
				_, err = streamSnappy(block, int(reach)-1, io.ReadAll)
				if !errors.Is(err, parquet.ErrCorrupted) {
					t.Fatalf("window one byte short of the reach %d: %v, want a corrupt error", reach, err)
				}
			})
		}
	}
}

// TestSnappyStreamCorrupt: a block cut short, with bytes after its end,
// or claiming another length is a corrupt error from the stream and from
// snappyReach.
func TestSnappyStreamCorrupt(t *testing.T) {
	in := snappyInputs()["text"][:300000]
	block := snappy.Encode(nil, in)
	longer := binary.AppendUvarint(nil, uint64(len(in)+1))
	shorter := binary.AppendUvarint(nil, uint64(len(in)-1))
	n := len(binary.AppendUvarint(nil, uint64(len(in))))
	for name, bad := range map[string][]byte{
		"cut":      block[:len(block)-3],
		"trailing": append(append([]byte{}, block...), 0),
		"longer":   append(longer, block[n:]...),
		"shorter":  append(shorter, block[n:]...),
		"far copy": append(binary.AppendUvarint(nil, 10), 0x00, 'x', 0x02|4<<2, 0x10, 0x00), // copy 5 from 16 back after 1
		"no size":  {0x80},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := snappyReach(bytes.NewReader(bad), 0, int64(len(bad))); err == nil {
				t.Error("snappyReach accepted it")
			}
			_, err := streamSnappy(bad, 1<<20, io.ReadAll)
			if !errors.Is(err, parquet.ErrCorrupted) {
				t.Errorf("the stream: %v, want a corrupt error", err)
			}
		})
	}
}

// TestSnappyPagesStreamed: DuckDB's layout, one large SNAPPY page per
// chunk, is read as a stream, and its values are parquet-go's.
func TestSnappyPagesStreamed(t *testing.T) {
	defer func(old int64) { streamPageBytes = old }(streamPageBytes)
	streamPageBytes = 64 << 10
	rows := make([]rowScalarF32, 200000)
	for i := range rows {
		rows[i] = rowScalarF32{ID: fmt.Sprint(i / 1000), Pos: int64(i), Value: float32(i%977) * 0.5}
	}
	for _, version := range []int{1, 2} {
		path := writeFile(t, t.TempDir(), "in.parquet", rows, parquet.Compression(&parquet.Snappy), parquet.DataPageVersion(version), parquet.PageBufferSize(4<<20))
		f, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		s, err := f.NewSegmentReader(0, ReadSpec{Column: "value"})
		if err != nil {
			t.Fatal(err)
		}
		pages, err := s.pages.all()
		if err != nil {
			t.Fatal(err)
		}
		streams := 0
		for i := range pages {
			if streamable(&pages[i], s.codec) {
				streams++
			}
		}
		s.Close()
		f.Close()
		if streams == 0 {
			t.Fatalf("v%d: no page streamed", version)
		}
		if !sameDirect(t, path, ReadSpec{Column: "value"}) {
			t.Fatalf("v%d: nothing read", version)
		}
	}
}

// prefetching is a local file posing as object storage (a
// storage.Prefetcher).
type prefetching struct{ *os.File }

func (prefetching) Prefetch([]storage.Range, int64) {}

// TestSnappyPagesFromObjectStorage: in object storage a large snappy page
// is streamed without a scan (scanning it, then streaming it, would fetch
// it twice), with a window of maxSnappyWindow; a page whose copies reach
// further is read again whole when the stream meets one. The values are
// the local file's either way, data page v1 and v2, CRCs checked.
func TestSnappyPagesFromObjectStorage(t *testing.T) {
	defer func(old, w int64) { streamPageBytes, maxSnappyWindow = old, w }(streamPageBytes, maxSnappyWindow)
	streamPageBytes = 64 << 10
	rows := make([]rowScalarF32, 100000)
	for i := range rows {
		rows[i] = rowScalarF32{ID: "a", Pos: int64(i), Value: float32(i % 5000)}
	}
	for _, version := range []int{1, 2} {
		path := writeFile(t, t.TempDir(), "in.parquet", rows, parquet.Compression(&parquet.Snappy), parquet.DataPageVersion(version), parquet.PageBufferSize(4<<20))
		for _, tc := range []struct {
			name   string
			remote bool
			window int64
		}{{"local", false, 8 << 20}, {"remote", true, 8 << 20}, {"remote, copies past the window", true, 64}} {
			maxSnappyWindow = tc.window
			h, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			st, _ := h.Stat()
			var r io.ReaderAt = h
			if tc.remote {
				r = prefetching{h}
			}
			f, err := OpenReaderAt(path, r, st.Size())
			if err != nil {
				t.Fatal(err)
			}
			s, err := f.NewSegmentReader(0, ReadSpec{Column: "value"})
			if err != nil {
				t.Fatal(err)
			}
			pages, err := s.pages.all()
			if err != nil {
				t.Fatal(err)
			}
			streams, far := 0, 0
			for i := range pages {
				p := &pages[i]
				if !streamable(p, s.codec) {
					continue
				}
				streams++
				if p.crc == 0 {
					t.Errorf("v%d %s: page %d has no CRC to check", version, tc.name, i)
				}
				lv := int64(0)
				if p.v2 {
					lv = int64(p.repLen) + int64(p.defLen)
				}
				if reach, err := snappyReach(h, p.body+lv, int64(p.comp)-lv); err != nil || reach > tc.window {
					far++
				}
			}
			c, err := s.Next(0, nil)
			if err != nil {
				t.Fatalf("v%d %s: %v", version, tc.name, err)
			}
			if len(c.Values.F32) != len(rows) {
				t.Fatalf("v%d %s: %d values", version, tc.name, len(c.Values.F32))
			}
			for i, v := range c.Values.F32 {
				if v != rows[i].Value {
					t.Fatalf("v%d %s: value %d is %v", version, tc.name, i, v)
				}
			}
			s.Close()
			f.Close()
			h.Close()
			if streams == 0 {
				t.Fatalf("v%d %s: no page streamed", version, tc.name)
			}
			if tc.window < 1<<20 && far == 0 {
				t.Fatalf("v%d %s: no page's copies reach past the window", version, tc.name)
			}
		}
	}
}

// FuzzSnappyStream: whatever the bytes, snappyReach and the stream never
// panic, and what the stream decodes without error is what snappy.Decode
// gives.
func FuzzSnappyStream(f *testing.F) {
	for _, in := range [][]byte{{}, []byte("abcabcabcabcabcabc"), bytes.Repeat([]byte{1, 2, 3, 4, 5}, 3000)} {
		f.Add(snappy.Encode(nil, in))
		f.Add(s2.EncodeSnappyBest(nil, in))
	}
	f.Fuzz(func(t *testing.T, block []byte) {
		if n, err := snappy.DecodedLen(block); err != nil || n > 1<<22 {
			return
		}
		reach, err := snappyReach(bytes.NewReader(block), 0, int64(len(block)))
		if err != nil {
			return
		}
		got, err := streamSnappy(block, int(min(reach, 1<<22)), io.ReadAll)
		if err != nil {
			if !errors.Is(err, parquet.ErrCorrupted) {
				t.Fatalf("not a corrupt error: %v", err)
			}
			return
		}
		want, err := snappy.Decode(nil, block)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("streamed %d bytes, snappy.Decode %d (%v)", len(got), len(want), err)
		}
	})
}

// BenchmarkSnappyStream: streaming against whole-block decoding, on
// floats (mostly literals, DuckDB's pages) and on text (short copies).
func BenchmarkSnappyStream(b *testing.B) {
	in := snappyInputs()
	for _, name := range []string{"floats", "text", "noise"} {
		block := snappy.Encode(nil, in[name])
		reach, err := snappyReach(bytes.NewReader(block), 0, int64(len(block)))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name+"/stream", func(b *testing.B) {
			b.SetBytes(int64(len(in[name])))
			s := newSnappyStream(int(reach))
			buf := make([]byte, 256<<10)
			for range b.N {
				if err := s.reset(bytes.NewReader(block)); err != nil {
					b.Fatal(err)
				}
				for {
					if _, err := s.Read(buf); err == io.EOF {
						break
					} else if err != nil {
						b.Fatal(err)
					}
				}
			}
		})
		b.Run(name+"/whole", func(b *testing.B) {
			b.SetBytes(int64(len(in[name])))
			dst := make([]byte, len(in[name]))
			for range b.N {
				if _, err := snappy.Decode(dst, block); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
