package job

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"os"
	"unsafe"

	"github.com/contextualize/contextualize/io/parquetio"
	"github.com/contextualize/contextualize/pipeline"
)

// A file too large to group in memory spills. Its rows are partitioned by
// sequence (the sequence's dense index modulo the partition count, so a
// sequence lies whole in one partition) into files on local temp disk,
// each row as a record: its file row, order key, sequence index and values.
// A route file holds each row's partition, one byte per row. Partitions
// are then processed one at a time, within the budget: read whole, grouped,
// computed, and their results written, in record order, to a result file
// per partition. The writer finally streams the row groups in input order,
// taking each row's results from the next record of its partition's result
// file.
//
// Spill files are unlinked as soon as they are created: they vanish when
// closed, when the process ends, or when it is killed. Disk use is at most
// the records (24 bytes + the values per row), the results (the values)
// and one byte per row; it is logged when the file is done.

// maxPartitions bounds the partitions (a route byte names one).
const maxPartitions = 250

// recordHeader is the bytes before a record's values: file row (8),
// order key (8), sequence index (4), padding (4).
const recordHeader = 24

// spillFile is an unlinked temp file written through a buffer.
type spillFile struct {
	f    *os.File
	w    *bufio.Writer
	size int64
}

// spill is the temp-disk state of one file.
type spill struct {
	dir     string
	input   string // the file being processed, for messages
	parts   []*spillFile
	results []*spillFile
	route   *spillFile
	bytes   int64 // most bytes on disk at once
	onDisk  int64
	bufSize int // bytes of each spill file's write (and read-back) buffer
}

// spillBufSize is the buffer of each of files spill files: 64 KiB, or
// less, down to 4 KiB, so that all of them together take at most an eighth
// of what the file was charged. A file that found the budget taken by
// another one grouping at the same time gets the most partitions (250):
// with 64 KiB buffers their writers, then their readers, took 16 MiB the
// budget did not count, which put two files grouped at once under
// --memory-limit 64MiB at 137 MiB of RSS.
func spillBufSize(charge int64, files int) int {
	return int(min(max(charge/8/int64(max(files, 1)), 4<<10), 64<<10))
}

// spillCreate makes an unlinked temp file in dir.
func (sp *spill) create() (*spillFile, error) {
	f, err := os.CreateTemp(sp.dir, fmt.Sprintf("contextualize-spill-%d-*", os.Getpid()))
	if err != nil {
		return nil, sp.ioError("creating a spill file", err)
	}
	os.Remove(f.Name()) // gone when closed or when the process ends (where the OS allows)
	return &spillFile{f: f, w: bufio.NewWriterSize(f, max(sp.bufSize, 4<<10))}, nil
}

func (sp *spill) ioError(doing string, err error) error {
	return pipeline.IOError(fmt.Errorf("%s for %s in %s (--temp-dir): %w", doing, sp.input, sp.dir, err))
}

// write appends b to sf, counting disk use.
func (sp *spill) write(sf *spillFile, b []byte) error {
	if _, err := sf.w.Write(b); err != nil {
		return sp.ioError("writing a spill file", err)
	}
	sf.size += int64(len(b))
	sp.onDisk += int64(len(b))
	sp.bytes = max(sp.bytes, sp.onDisk)
	return nil
}

func (sp *spill) flush(sf *spillFile) error {
	if err := sf.w.Flush(); err != nil {
		return sp.ioError("writing a spill file", err)
	}
	return nil
}

// drop closes (and so deletes) a spill file.
func (sp *spill) drop(sf *spillFile) {
	if sf == nil || sf.f == nil {
		return
	}
	sf.f.Close()
	os.Remove(sf.f.Name()) // where unlinking an open file was refused
	sp.onDisk -= sf.size
	sf.f = nil
}

// close deletes every spill file.
func (sp *spill) close() {
	for _, sf := range sp.parts {
		sp.drop(sf)
	}
	for _, sf := range sp.results {
		sp.drop(sf)
	}
	sp.drop(sp.route)
}

// floatBytes views a slab's values as bytes (the spill files are read back
// by the process that wrote them, so native byte order is right).
func floatBytes(f parquetio.Floats) []byte {
	if f.F32 != nil {
		if len(f.F32) == 0 {
			return nil
		}
		return unsafe.Slice((*byte)(unsafe.Pointer(&f.F32[0])), 4*len(f.F32))
	}
	if len(f.F64) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&f.F64[0])), 8*len(f.F64))
}

// bytesFloats views b (aligned to the element size) as n values of type t.
func bytesFloats(b []byte, t parquetio.ElemType, n int) parquetio.Floats {
	if t == parquetio.Float32 {
		if n == 0 {
			return parquetio.Floats{F32: []float32{}}
		}
		return parquetio.Floats{F32: unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), n)}
	}
	if n == 0 {
		return parquetio.Floats{F64: []float64{}}
	}
	return parquetio.Floats{F64: unsafe.Slice((*float64)(unsafe.Pointer(&b[0])), n)}
}

// SpillBytes is about the most temp disk grouping rows rows of width d
// (elements of es bytes) through spill files takes: the records, the
// results and the route.
func SpillBytes(rows int64, d int, es int64) int64 {
	return rows * (recordHeader + 2*int64(d)*es + 1)
}

// partitions is how many partitions keep each one's processing (its
// records, results and sequences: about twice the records) within a
// quarter of the budget: the rest is for the collector's garbage, which
// shares the bound (at half the budget, a 64 MiB run's heap reached 70 MiB).
func partitions(recordBytes, budget int64) int {
	p := (8*recordBytes + budget - 1) / max(budget, 1)
	return int(min(max(p, 2), maxPartitions))
}

// spilled groups a file through temp disk: need is what holding it in
// memory would take.
func (g *grouper) spilled(first *rowGroup, need int64) (err error) {
	r := g.r
	dir := r.spec.TempDir
	if dir == "" {
		dir = os.TempDir()
	}
	sp := &spill{dir: dir, input: r.file.Path()}
	defer sp.close()
	d := max(r.d, 1)
	typ := first.chunk.Type
	es := int(elemSize(typ))
	rec := recordHeader + d*es
	rows := r.file.NumRows()
	np := partitions(rows*int64(rec), g.charge) // 0 (nothing free): the most partitions
	sp.bufSize = spillBufSize(g.charge, np+1)   // the partitions and the route
	slog.Info("grouping interleaved sequences through temp disk", "file", r.file.Path(),
		"bytes_in_memory", need, "limit", r.spec.Budget.Size(), "temp_dir", dir,
		"partitions", np, "temp_bytes_estimate", SpillBytes(rows, d, int64(es)))
	for range np {
		sf, err := sp.create()
		if err != nil {
			return err
		}
		sp.parts = append(sp.parts, sf)
	}
	if sp.route, err = sp.create(); err != nil {
		return err
	}
	if err := g.distribute(sp, first, rec); err != nil {
		return err
	}
	if err := r.bindOnce(); err != nil {
		return err
	}
	var buf partitionBuffers
	var most int64
	for _, sf := range sp.parts {
		most = max(most, sf.size)
	}
	buf.store = make([]uint64, (most+7)/8) // the largest, so that no other is allocated
	for p := range np {
		if err := g.partition(sp, p, typ, rec, &buf); err != nil {
			return err
		}
	}
	buf = partitionBuffers{}
	if err := g.writeBack(sp, typ); err != nil {
		return err
	}
	slog.Info("grouped through temp disk", "file", r.file.Path(), "partitions", np,
		"temp_bytes_peak", sp.bytes, "sequences", len(g.keys))
	return nil
}

// distribute reads every row group and appends each row to its
// partition's file, and its partition to the route file.
func (g *grouper) distribute(sp *spill, first *rowGroup, rec int) error {
	r := g.r
	np := len(sp.parts)
	buf := make([]byte, rec)
	// One row group at a time: under a small limit the ids' garbage of
	// two in flight (~18 MB each) showed in the peak RSS on a loaded host.
	err := g.eachRowGroup(first, 1, func(i int, rg *rowGroup) error {
		g.metas[i] = meta(rg)
		vals := floatBytes(rg.chunk.Values)
		vb := rec - recordHeader
		route := make([]byte, rg.rows())
		var werr error
		g.rowIDs(rg, func(lo, hi int, id int32) {
			p := int(id) % np
			for row := lo; row < hi && werr == nil; row++ {
				binary.NativeEndian.PutUint64(buf[0:], uint64(g.first[i]+int64(row)))
				var o int64
				if rg.order != nil {
					o = rg.order[row]
				}
				binary.NativeEndian.PutUint64(buf[8:], uint64(o))
				binary.NativeEndian.PutUint32(buf[16:], uint32(id))
				copy(buf[recordHeader:], vals[row*vb:(row+1)*vb])
				route[row] = byte(p)
				werr = sp.write(sp.parts[p], buf)
			}
		})

		r.release(rg)
		if werr != nil {
			return werr
		}
		return sp.write(sp.route, route)
	})
	if err != nil {
		return err
	}
	for _, sf := range sp.parts {
		if err := sp.flush(sf); err != nil {
			return err
		}
	}
	return sp.flush(sp.route)
}

// partitionBuffers is the storage partitions are processed in, reused
// from one to the next (fresh storage per partition was most of the
// garbage the collector had to keep within the memory limit).
type partitionBuffers struct {
	store []uint64 // the records, 8-byte aligned
	res   []uint64 // the results
	start []int32  // by local sequence index: its first record in recs, then the end
	recs  []int32  // records grouped by sequence, in record order
}

// grow returns b's first n 8-byte words, reallocated when too short.
func grow(b []uint64, n int64) []uint64 {
	if int64(cap(b)) < n {
		return make([]uint64, n)
	}
	return b[:n]
}

// partition computes the sequences of partition p and writes their
// results, in record order, to its result file.
func (g *grouper) partition(sp *spill, p int, typ parquetio.ElemType, rec int, buf *partitionBuffers) error {
	r := g.r
	if err := r.ctx.Err(); err != nil {
		return err
	}
	sf := sp.parts[p]
	d := max(r.d, 1)
	es := int(elemSize(typ))
	np := len(sp.parts)
	buf.store = grow(buf.store, (sf.size+7)/8)
	var data []byte
	if len(buf.store) > 0 {
		data = unsafe.Slice((*byte)(unsafe.Pointer(&buf.store[0])), sf.size)
	}
	if _, err := sf.f.ReadAt(data, 0); err != nil && err != io.EOF {
		return sp.ioError("reading a spill file", err)
	}
	sp.drop(sf)
	n := len(data) / rec
	// Records of each sequence, in input order: a counting sort by the
	// sequence's local index (partition p holds sequences p, p+np, ...).
	locals := (len(g.keys)-p+np-1)/np + 1
	if cap(buf.start) < locals+1 {
		buf.start = make([]int32, locals+1)
	}
	start := buf.start[:locals+1]
	clear(start)
	recID := func(k int) int32 { return int32(binary.NativeEndian.Uint32(data[k*rec+16:])) }
	for k := range n {
		start[int(recID(k))/np+1]++
	}
	var ids []int32
	for l := range locals {
		if start[l+1] > 0 {
			ids = append(ids, int32(l*np+p))
		}
		start[l+1] += start[l]
	}
	if cap(buf.recs) < n {
		buf.recs = make([]int32, n)
	}
	recs := buf.recs[:n]
	fill := append([]int32(nil), start[:locals]...)
	for k := range n {
		l := int(recID(k)) / np
		recs[fill[l]] = int32(k)
		fill[l]++
	}
	of := func(id int32) []int32 { l := int(id) / np; return recs[start[l]:start[l+1]] }
	buf.res = grow(buf.res, (int64(n*d*es)+7)/8)
	var res []byte
	if len(buf.res) > 0 {
		res = unsafe.Slice((*byte)(unsafe.Pointer(&buf.res[0])), n*d*es)
	}
	err := g.runSequences(ids, func(id int32, s *seq) {
		g.newSeqBuffers(s, typ, r.det.Order != nil)
		recs := of(id)
		if typ == parquetio.Float32 {
			fromRecords(s.in.F32, data, recs, rec, d)
		} else {
			fromRecords(s.in.F64, data, recs, rec, d)
		}
		if s.order != nil {
			for j, k := range recs {
				s.order[j] = int64(binary.NativeEndian.Uint64(data[int(k)*rec+8:]))
			}
		}
	}, func(id int32, s *seq) {
		if typ == parquetio.Float32 {
			toResults(bytesFloats(res, typ, n*d).F32, s.out.F32, of(id), d)
		} else {
			toResults(bytesFloats(res, typ, n*d).F64, s.out.F64, of(id), d)
		}
	})
	if err != nil {
		return err
	}
	out, err := sp.create()
	if err != nil {
		return err
	}
	sp.results = append(sp.results, out)
	if err := sp.write(out, res); err != nil {
		return err
	}
	return sp.flush(out)
}

// writeBack writes the row groups in input order, each row's results taken
// from its partition's result file.
func (g *grouper) writeBack(sp *spill, typ parquetio.ElemType) error {
	r := g.r
	d := max(r.d, 1)
	rowBytes := d * int(elemSize(typ))
	readers := make([]*bufio.Reader, len(sp.results))
	for p, sf := range sp.results {
		readers[p] = bufio.NewReaderSize(io.NewSectionReader(sf.f, 0, sf.size), max(sp.bufSize, 4<<10))
	}
	route := bufio.NewReaderSize(io.NewSectionReader(sp.route.f, 0, sp.route.size), max(sp.bufSize, 4<<10))
	for i, m := range g.metas {
		if err := r.ctx.Err(); err != nil {
			return err
		}
		vals := r.slab(typ, m.Rows*d)
		dst := floatBytes(vals)
		ps := make([]byte, m.Rows)
		if _, err := io.ReadFull(route, ps); err != nil {
			r.putSlab(vals)
			return sp.ioError("reading a spill file", err)
		}
		for row, p := range ps {
			if _, err := io.ReadFull(readers[p], dst[row*rowBytes:(row+1)*rowBytes]); err != nil {
				r.putSlab(vals)
				return sp.ioError("reading a spill file", err)
			}
		}
		m.Values = vals
		err := r.writer.WriteRowGroup(i, m)
		r.putSlab(vals)
		if err != nil {
			return err
		}
		if r.tracker != nil {
			r.tracker.AddRows(int64(m.Rows))
		}
	}
	return nil
}

// putSlab gives back a slab from r.slab.
func (r *run) putSlab(f parquetio.Floats) {
	if r.pooled() {
		putSlab(f)
	}
}

// fromRecords copies the values of records recs (of rec bytes each) in
// data to dst.
func fromRecords[T float32 | float64](dst []T, data []byte, recs []int32, rec, d int) {
	for j, k := range recs {
		src := unsafe.Slice((*T)(unsafe.Pointer(&data[int(k)*rec+recordHeader])), d)
		if d == 1 {
			dst[j] = src[0]
			continue
		}
		copy(dst[j*d:(j+1)*d], src)
	}
}

// toResults puts a sequence's results src at its records' places in res.
func toResults[T float32 | float64](res, src []T, recs []int32, d int) {
	for j, k := range recs {
		if d == 1 {
			res[k] = src[j]
			continue
		}
		copy(res[int(k)*d:(int(k)+1)*d], src[j*d:(j+1)*d])
	}
}
