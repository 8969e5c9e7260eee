package parquetio

import (
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"

	"github.com/parquet-go/parquet-go/encoding/rle"
)

// segLevels are the repetition and definition levels of the value column
// behind one segment's rows, as the segment reader walked them, kept for
// the writer: it needs them to write the output's levels (nulls, empty
// lists, lists of any length), and reading them again from the input
// fetched the value pages a second time (a snappy or LZ4 page decompressed
// whole for its levels). They are kept RLE / bit-packed hybrid encoded, as
// a page stores them: a run per stretch of equal levels, at most the
// level's bit width per level otherwise (1 bit for an optional scalar),
// which is small beside the segment's floats.
type segLevels struct {
	f          *File // the input and row group they belong to
	rg, leaf   int
	n          int    // levels
	repW, defW int    // bit widths (0: the column has no such level)
	maxDef     int    // a definition level the pages left out (all defined)
	reps, defs []byte // the runs
	scratch    []byte // an encoded piece, before it is appended
}

// newSegLevels starts recording the levels of a segment of the value
// column (leaf) of row group rg; nil for a column without levels.
func newSegLevels(f *File, rg, leaf, maxRep, maxDef int) *segLevels {
	if maxRep == 0 && maxDef == 0 {
		return nil
	}
	return &segLevels{f: f, rg: rg, leaf: leaf, repW: bits.Len(uint(maxRep)), defW: bits.Len(uint(maxDef)), maxDef: maxDef}
}

// add appends n levels: reps and defs as decoded (nil: every level is 0,
// or for definition levels every level defined).
func (l *segLevels) add(reps, defs []byte, n int) {
	if n == 0 {
		return
	}
	if l.repW > 0 {
		l.reps = l.appendRuns(l.reps, reps, l.repW, 0, n)
	}
	if l.defW > 0 {
		l.defs = l.appendRuns(l.defs, defs, l.defW, l.maxDef, n)
	}
	l.n += n
}

// appendRuns appends the runs of levels (nil: n levels of value fill) to
// dst. Runs encoded apart can be read as one: parquet-go's encoder ends
// every piece at a run's end (its tail is run-length runs), never with a
// bit-packed group padded past the levels.
func (l *segLevels) appendRuns(dst, levels []byte, w, fill, n int) []byte {
	if len(levels) == 0 {
		return appendRun(dst, n, byte(fill))
	}
	if allEqual(levels, levels[0]) {
		return appendRun(dst, len(levels), levels[0])
	}
	enc := rle.Encoding{BitWidth: w}
	var err error
	l.scratch, err = enc.EncodeLevels(l.scratch[:0], levels)
	if err != nil { // a level wider than w: the decoders never give one
		panic(fmt.Sprintf("encoding %d-bit levels: %v", w, err))
	}
	return append(dst, l.scratch...)
}

// appendRun appends a run-length run of n levels of value v (at most 8
// bits wide).
func appendRun(dst []byte, n int, v byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(n)<<1)
	return append(dst, v)
}

// bytes is the memory the levels hold.
func (l *segLevels) bytes() int {
	if l == nil {
		return 0
	}
	return cap(l.reps) + cap(l.defs)
}

// done drops the encoder's scratch once the segment is read.
func (l *segLevels) done() {
	if l != nil {
		l.scratch = nil
	}
}

// LevelBytes is the memory the chunk's recorded levels hold (the input
// value column's levels behind its rows, kept for the writer).
func (c ValueChunk) LevelBytes() int64 { return int64(c.levels.bytes()) }

// segLevelReader hands out a segment's levels a window at a time, as
// levelPages does for a whole chunk.
type segLevelReader struct {
	l          *segLevels
	left       int
	reps, defs hybridReader[uint8]
	rb, db     []byte // the window
}

// reset starts reading l.
func (r *segLevelReader) reset(l *segLevels) {
	r.l, r.left = l, l.n
	r.reps = hybridReader[uint8]{b: l.reps, w: l.repW}
	r.defs = hybridReader[uint8]{b: l.defs, w: l.defW}
}

// read returns the next window of levels (nil for a level the column does
// not have), valid until the next call; io.EOF after the last.
func (r *segLevelReader) read() (reps, defs []byte, n int, err error) {
	if r.left == 0 {
		return nil, nil, 0, io.EOF
	}
	n = min(levelWindow, r.left)
	if r.l.repW > 0 {
		if r.rb, err = r.reps.read(r.rb[:0], n); err != nil {
			return nil, nil, 0, fmt.Errorf("a segment's repetition levels: %w", err)
		}
		reps = r.rb
	}
	if r.l.defW > 0 {
		if r.db, err = r.defs.read(r.db[:0], n); err != nil {
			return nil, nil, 0, fmt.Errorf("a segment's definition levels: %w", err)
		}
		defs = r.db
	}
	r.left -= n
	return reps, defs, n, nil
}
