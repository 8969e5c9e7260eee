package parquetio

import (
	"bufio"
	"fmt"
	"io"
	"os"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// A passthrough column chunk is copied into the output in bounded pieces,
// never held whole: DuckDB, pyarrow and arrow-rs write a whole file's rows
// as one row group, so one chunk of a wide column the tool does not change
// (a string payload, a second embedding) can be larger than --memory-limit.
// A chunk in a codec the tool writes is copied verbatim, keeping its codec
// (keptCodec), copyPieceBytes at a time; one in another codec (brotli,
// legacy LZ4) is recompressed a page at a time, so it holds
// one page compressed, decompressed and recompressed (about 2.5 times the
// largest page, beyond SPEC v2's once: see DESIGN.md), and lets go of
// those buffers after the chunk when they are large.

// copyPieceBytes is the size of the pieces a verbatim chunk is copied in:
// like the output's write buffer, part of the writer's fixed allowance.
const copyPieceBytes = 1 << 20

// writeError marks an error of the output, which copyChunk passes on as
// it is, from one of the input, which it names.
type writeError struct{ error }

func (e writeError) Unwrap() error { return e.error }

// copyVerbatim appends the size bytes of in at start to the output:
// read straight into the output's buffers when it has them (an
// io.ReaderFrom such as the pipeline's asynchronous output: a copy of the
// chunk fewer), else through a piece buffer of copyPieceBytes. An
// *os.File's ReadFrom would copy from a reader that is not a file in
// pieces of 32 KiB: it gets the larger pieces.
func (fw *fastWriter) copyVerbatim(in io.ReaderAt, start, size int64) error {
	_, isFile := fw.out.(*os.File)
	if rf, ok := fw.out.(io.ReaderFrom); ok && !isFile && fw.off > 0 {
		src := &inputReader{r: io.NewSectionReader(in, start, size)}
		n, err := rf.ReadFrom(src)
		fw.off += n
		switch {
		case src.err != nil:
			return src.err
		case err != nil:
			return writeError{err}
		case n < size:
			return io.EOF // what ReadAt says of a piece past the end
		}
		return nil
	}
	if int64(cap(fw.raw)) < min(size, copyPieceBytes) {
		fw.raw = make([]byte, min(size, copyPieceBytes))
	}
	for off := int64(0); off < size; {
		b := fw.raw[:min(size-off, int64(cap(fw.raw)))]
		if _, err := in.ReadAt(b, start+off); err != nil {
			return err
		}
		if err := fw.write(b); err != nil {
			return writeError{err}
		}
		off += int64(len(b))
	}
	return nil
}

// inputReader keeps the error of reading the input (other than its end),
// to tell it from the output's in a copy through io.ReaderFrom.
type inputReader struct {
	r   io.Reader
	err error
}

func (r *inputReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		r.err = err
	}
	return n, err
}

// countingReader counts the bytes read through it (a page header's length).
type countingReader struct {
	r *bufio.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *countingReader) ReadByte() (byte, error) {
	b, err := c.r.ReadByte()
	if err == nil {
		c.n++
	}
	return b, err
}

// transcode recompresses the pages of the column chunk of size bytes at
// file offset start of in, compressed with codec from, with the writer's
// codec, appending them to the output one page at a time. It returns where
// each page moved (input file offset -> output file offset), and the
// chunk's compressed and uncompressed sizes in the output.
func (fw *fastWriter) transcode(in io.ReaderAt, start, size int64, from format.CompressionCodec) (moved map[int64]int64, compTotal, uncompTotal int64, err error) {
	moved = map[int64]int64{}
	cr := &countingReader{r: bufio.NewReaderSize(io.NewSectionReader(in, start, size), 64<<10)}
	dec := thrift.NewDecoder(fw.proto.NewReader(cr))
	for cr.n < size {
		pos := start + cr.n
		var h format.PageHeader
		if err := dec.Decode(&h); err != nil {
			return nil, 0, 0, fmt.Errorf("page header at offset %d: %w", pos, err)
		}
		comp := int64(h.CompressedPageSize)
		if comp < 0 || comp > size-cr.n {
			return nil, 0, 0, fmt.Errorf("page at offset %d: compressed size %d exceeds the column chunk: %w", pos, comp, parquet.ErrCorrupted)
		}
		if int64(cap(fw.page)) < comp {
			fw.page = make([]byte, comp)
		}
		body := fw.page[:comp]
		if _, err := io.ReadFull(cr, body); err != nil {
			return nil, 0, 0, fmt.Errorf("page at offset %d: %w", pos, err)
		}
		moved[pos] = fw.off
		decompress := from != format.Uncompressed
		var prefix []byte // v2 levels, never compressed
		if h.Type == format.DataPageV2 && h.DataPageHeaderV2.Valid {
			v := h.DataPageHeaderV2.V
			n := int(v.RepetitionLevelsByteLength) + int(v.DefinitionLevelsByteLength)
			if n < 0 || n > len(body) {
				return nil, 0, 0, fmt.Errorf("inconsistent data page v2 header: %w", parquet.ErrCorrupted)
			}
			prefix, body = body[:n], body[n:]
			if v.IsCompressed.Valid && !v.IsCompressed.V {
				decompress = false
			}
			h.DataPageHeaderV2.V.IsCompressed = thrift.New(fw.compress)
		}
		plain := body
		if decompress {
			plain, err = decompressPage(from, fw.plain, body, int(h.UncompressedPageSize)-len(prefix))
			if err != nil {
				return nil, 0, 0, fmt.Errorf("page at offset %d: %w", pos, err)
			}
			fw.plain = plain[:0]
		}
		packed := plain
		if fw.compress {
			fw.zbuf, err = fw.codec.Encode(fw.zbuf[:0], plain)
			if err != nil {
				return nil, 0, 0, writeError{fmt.Errorf("compressing a page: %w", err)}
			}
			packed = fw.zbuf
		}
		h.CompressedPageSize = int32(len(prefix) + len(packed))
		h.CRC = 0
		hb, err := thrift.Marshal(&fw.proto, &h)
		if err != nil {
			return nil, 0, 0, writeError{err}
		}
		for _, b := range [][]byte{hb, prefix, packed} {
			if err := fw.write(b); err != nil {
				return nil, 0, 0, writeError{err}
			}
		}
		compTotal += int64(len(hb)) + int64(h.CompressedPageSize)
		uncompTotal += int64(len(hb)) + int64(h.UncompressedPageSize)
	}
	fw.dropLargePageBufs()
	return moved, compTotal, uncompTotal, nil
}

// dropLargePageBufs lets go of the buffers a recompressed page larger than
// a value page left (DuckDB's are 100 MB): kept, they would stay for the
// rest of the file beside the memory the budget counts.
func (fw *fastWriter) dropLargePageBufs() {
	const keep = 8 << 20
	if cap(fw.page) > keep {
		fw.page = nil
	}
	if cap(fw.plain) > keep {
		fw.plain = nil
	}
	if cap(fw.zbuf) > keep {
		fw.zbuf = nil
	}
}
