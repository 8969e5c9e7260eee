package job

import (
	"context"
	"log/slog"
	"math"
	"time"
	"unsafe"

	"golang.org/x/sync/errgroup"

	"github.com/contextualize/contextualize/io/parquetio"
	"github.com/contextualize/contextualize/pipeline"
)

// A file whose sequences are interleaved (a table ordered by time, with
// every series' rows mixed) cannot stream: a sequence is complete only at
// the end of the file. The grouped path reads the file once, grouping rows
// by id, computes every sequence, and puts each result back at its input
// row, so that the writer still writes the row groups in input order and
// copies every other column verbatim.
//
// When the file's values, order keys and grouping fit the budget, all of
// it is held in memory (see groupInMemory). Otherwise rows are partitioned
// by sequence into spill files on local temp disk (see spill.go).

// grouper is the state of grouping one file.
type grouper struct {
	r      *run
	ids    map[string]int32 // sequence id -> dense index, by first row
	keys   []string         // by index: the id
	counts []int            // by index: rows
	first  []int64          // file row of each row group, then NumRows
	metas  []parquetio.ValueChunk
	charge int64
	byAddr [addrSlots]addrSlot // see rowIDs
}

// groupedRowBytes is what holding one row of width d (elements of es
// bytes) costs the in-memory path: its values, its order key, its
// sequence index and its place in the grouping.
func groupedRowBytes(d int, es int64, order bool) int64 {
	n := int64(d)*es + 4 + 4
	if order {
		n += 8
	}
	return n
}

// GroupBytes is the memory grouping a file of rows rows of width d in
// memory needs; beyond the budget the file spills.
func GroupBytes(rows int64, d int, es int64, order bool) int64 {
	return rows * groupedRowBytes(d, es, order)
}

// executeGrouped processes a file whose sequences are interleaved.
func (r *run) executeGrouped(ctx context.Context) error {
	setIdleCap(r.spec.Budget.Size())
	r.d = r.det.D
	r.ctx, r.cancel = context.WithCancel(ctx)
	defer r.cancel()
	g := &grouper{r: r, ids: map[string]int32{}}
	nrg := r.file.NumRowGroups()
	for i := range nrg {
		g.first = append(g.first, r.file.RowGroupFirstRow(i))
	}
	g.first = append(g.first, r.file.NumRows())
	g.metas = make([]parquetio.ValueChunk, nrg)
	defer func() { r.spec.Budget.Release(g.charge) }() // what acquireUpTo took

	size := r.spec.Budget.Size()
	// A file that will spill waits for its turn (spillSlot) before it reads
	// anything when the schema tells its size; otherwise once the first row
	// group has told d.
	var release func()
	var err error
	defer func() {
		if release != nil {
			release()
		}
	}()
	if size > 0 && r.det.D > 0 && GroupBytes(r.file.NumRows(), r.det.D, elemSize(r.det.Value.Elem.SlabType()), r.det.Order != nil) > size {
		if release, err = r.spillTurn(); err != nil {
			return err
		}
	}
	// The first row group tells d when the schema does not.
	first, err := r.readGroupRG(0)
	if err != nil {
		return err
	}
	defer r.release(first) // a no-op once its holder released it
	need := GroupBytes(r.file.NumRows(), max(r.d, 1), elemSize(first.chunk.Type), r.det.Order != nil)
	// The in-memory grouping numbers rows with int32s.
	if fits := r.file.NumRows() <= math.MaxInt32; fits && (size == 0 || need <= size) {
		got, err := r.acquireUpTo(need)
		g.charge = got
		if err != nil {
			return err
		}
		if size == 0 || got == need {
			slog.Info("grouping interleaved sequences in memory", "file", r.file.Path(), "bytes", need)
			return g.inMemory(first)
		}
		if release == nil { // not held while waiting for the turn
			r.spec.Budget.Release(g.charge)
			g.charge = 0
		}
	}
	if release == nil {
		if release, err = r.spillTurn(); err != nil {
			return err
		}
	}
	if g.charge == 0 {
		if size == 0 {
			size = need
		}
		if g.charge, err = r.acquireUpTo(size); err != nil {
			return err
		}
	}
	return g.spilled(first, need)
}

// spillSlot lets one file of the process group through temp disk at a
// time. A spilling file takes what the budget has free, and the memory it
// needs besides (a row group's ids in flight, its writer) is not in the
// budget; two files spilling at once under --memory-limit 64MiB, the
// second finding the budget taken, peaked at 137 MiB of RSS against a
// bound of 128 MiB. Spills are slow anyway (the disk, not the cores, is
// what they wait on), and each one uses every worker for its sequences.
var spillSlot = make(chan struct{}, 1)

// spillTurn waits for the spill slot; release gives it back.
func (r *run) spillTurn() (release func(), err error) {
	return spillTurn(r.ctx, r.file.Path())
}

// spillTurn waits, for file, until no other file spills or ctx ends.
func spillTurn(ctx context.Context, file string) (release func(), err error) {
	select {
	case spillSlot <- struct{}{}:
	default:
		slog.Debug("waiting for another file's spill to finish", "file", file)
		select {
		case spillSlot <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return func() { <-spillSlot }, nil
}

// readGroupRG reads row group i and makes sure the computer is bound.
func (r *run) readGroupRG(i int) (*rowGroup, error) {
	if err := r.ctx.Err(); err != nil {
		return nil, err
	}
	r.wholeGroupWarn(i)
	rg, err := r.readRowGroup(i)
	if err != nil {
		return nil, err
	}
	if r.d > 0 {
		if err := r.bindOnce(); err != nil {
			r.release(rg)
			return nil, err
		}
	}
	return rg, nil
}

// wholeGroupWarn warns, once per file, when row group i of an interleaved
// file is larger than the budget: the grouped path reads a row group
// whole, its values and its keys (an order value and an id run per row
// when every row changes series), so memory exceeds the limit by about
// that much (a row group of 20 M interleaved rows holds hundreds of MB).
func (r *run) wholeGroupWarn(i int) {
	size := r.spec.Budget.Size()
	if r.warned || size == 0 {
		return
	}
	rows := r.file.RowGroupRows(i)
	bytes := int64(r.file.SlabLen(i, r.det.Value.Name))*elemSize(r.det.Value.Elem.SlabType()) + rows*(8+24)
	if bytes <= size {
		return
	}
	r.warned = true
	slog.Warn("an interleaved file's row group is larger than --memory-limit: it is read whole, values and keys, and memory will exceed the limit",
		"file", r.file.Path(), "row_group", i, "rows", rows, "bytes", bytes, "limit", size,
		"hint", "rewrite the input with smaller row groups, or sorted by series")
}

// eachRowGroup calls fn on every row group in order (first is row group
// 0, already read), reading ahead row groups at a time in parallel:
// the reader is the serial stage of a grouped file, and decoding its ids
// row by row is most of it. At most ahead row groups are held at once
// (each one's ids are ~18 MB of heap for 122,880 string ids). Row groups
// read and not handed to fn are released when it fails.
func (g *grouper) eachRowGroup(first *rowGroup, ahead int, fn func(i int, rg *rowGroup) error) error {
	r := g.r
	if err := fn(0, first); err != nil {
		return err
	}
	workers := max(ahead, 1)
	if r.d == 0 || r.binding == nil {
		workers = 1 // reading sets them: one at a time until they are known
	}
	batch := make([]*rowGroup, workers)
	for lo := 1; lo < len(g.metas); lo += workers {
		hi := min(lo+workers, len(g.metas))
		var eg errgroup.Group
		for i := lo; i < hi; i++ {
			eg.Go(func() error {
				var err error
				batch[i-lo], err = r.readGroupRG(i)
				return err
			})
		}
		err := eg.Wait()
		for k := lo; k < hi && err == nil; k++ {
			err = fn(k, batch[k-lo])
			batch[k-lo] = nil
		}
		if err != nil {
			for k, rg := range batch {
				if rg != nil {
					r.release(rg)
					batch[k] = nil
				}
			}
			return err
		}
	}
	return nil
}

// index is the dense index of sequence id key, made on its first row.
func (g *grouper) index(key string) int32 {
	if id, ok := g.ids[key]; ok {
		return id
	}
	id := int32(len(g.keys))
	g.ids[key] = id
	g.keys = append(g.keys, key)
	g.counts = append(g.counts, 0)
	return id
}

// addrSlots is the size of the table of recent keys by address.
const addrSlots = 1024

// addrSlot is an entry of that table.
type addrSlot struct {
	p  *byte
	n  int
	id int32
}

// indexOf is index(key), first looked up by key's address.
func (g *grouper) indexOf(key string) int32 {
	if len(key) == 0 {
		return g.index(key)
	}
	p := unsafe.StringData(key)
	e := &g.byAddr[(uintptr(unsafe.Pointer(p))>>4)%addrSlots]
	if e.p == p && e.n == len(key) {
		return e.id
	}
	id := g.index(key)
	*e = addrSlot{p, len(key), id}
	return id
}

// rowIDs calls fn for each run of rg's rows [lo, hi) with its sequence
// index, counting the rows of each sequence.
//
// Interleaved ids make a run of every row, and looking each one's key up
// by its text was a tenth of a spilling run. Reading a row group gives
// equal ids the same string (ReadIDRuns interns them), so a small table
// keyed by the string's address finds most indexes without hashing the
// text. It is cleared per row group: another row group's strings may
// reuse the addresses of freed ones.
func (g *grouper) rowIDs(rg *rowGroup, fn func(lo, hi int, id int32)) {
	clear(g.byAddr[:])
	for k, start := range rg.starts {
		end := rg.rows()
		if k+1 < len(rg.starts) {
			end = rg.starts[k+1]
		}
		id := g.indexOf(rg.keys[k])
		g.counts[id] += end - start
		fn(start, end, id)
	}
}

// meta is row group rg's chunk without its values.
func meta(rg *rowGroup) parquetio.ValueChunk {
	m := rg.chunk
	m.Values = parquetio.Floats{}
	return m
}

// seqBatch is a work item of the grouped path: whole sequences, by index.
type seqBatch struct {
	ids  []int32
	seqs []*seq // seqs[k] is sequence ids[k]
}

// runSequences computes sequences ids [0, n) on the workers, in batches
// of about r.target() elements: gather fills a sequence's input and order,
// put stores its results. Sequences are observed in index order.
func (g *grouper) runSequences(ids []int32, gather func(id int32, s *seq), put func(id int32, s *seq)) error {
	r := g.r
	next := 0
	return pipeline.Ordered(r.ctx, max(r.spec.Workers, 1), nil,
		func() (*seqBatch, int64, bool, error) {
			if next >= len(ids) {
				return nil, 0, false, nil
			}
			b := &seqBatch{}
			elems := 0
			for next < len(ids) && (len(b.ids) == 0 || elems < r.target()) {
				id := ids[next]
				s := &seq{key: g.keys[id], n: g.counts[id]}
				if r.spec.only != nil {
					s.skip = !r.spec.only(s.key, s.n) // in order, here in the reader
				}
				b.ids, b.seqs = append(b.ids, id), append(b.seqs, s)
				elems += s.n
				next++
			}
			return b, 0, true, nil
		},
		func(pb **seqBatch) error {
			b := *pb
			for k, id := range b.ids {
				s := b.seqs[k]
				if s.skip {
					continue // not wanted by Collect: its output is discarded
				}
				gather(id, s)
				r.compute(s)
				put(id, s)
				if r.observer == nil {
					s.in, s.out, s.order = parquetio.Floats{}, parquetio.Floats{}, nil
				}
			}
			return nil
		},
		func(pb **seqBatch) error {
			for _, s := range (*pb).seqs {
				if err := r.observe(s); err != nil {
					return err
				}
			}
			r.sequences += int64(len((*pb).seqs))
			(*pb).seqs = nil
			return nil
		})
}

// newSeqBuffers gives s its input, output and order storage (on the heap:
// a sequence is gathered once and dropped).
func (g *grouper) newSeqBuffers(s *seq, typ parquetio.ElemType, order bool) {
	d := max(g.r.d, 1)
	s.in = alloc(typ, s.n*d)
	s.out = s.in
	if !g.r.inPlace() {
		s.out = alloc(typ, s.n*d)
	}
	if order {
		s.order = make([]int64, s.n)
	}
}

// inMemory groups a file held whole: every row group's values stay in
// their slabs, results are put back in place, then the row groups are
// written in order.
func (g *grouper) inMemory(first *rowGroup) error {
	r := g.r
	rows := r.file.NumRows()
	gid := make([]int32, rows)
	var order []int64
	if r.det.Order != nil {
		order = make([]int64, rows)
	}
	groups := make([]*rowGroup, 0, len(g.metas))
	defer func() {
		for _, rg := range groups {
			r.release(rg)
		}
	}()
	err := g.eachRowGroup(first, r.spec.Workers, func(i int, rg *rowGroup) error {
		groups = append(groups, rg)
		base := g.first[i]
		g.rowIDs(rg, func(lo, hi int, id int32) {
			for row := lo; row < hi; row++ {
				gid[base+int64(row)] = id
			}
		})
		if order != nil {
			copy(order[base:], rg.order)
		}
		if rg.pooledOrder {
			putInt64s(rg.order)
		}
		// Only the values stay: the runs (a start and a key per row when
		// ids interleave, 24 bytes a row) are counted into gid.
		rg.order, rg.pooledOrder = nil, false
		rg.starts, rg.keys = nil, nil
		return nil
	})
	if err != nil {
		return err
	}
	if err := r.bindOnce(); err != nil {
		return err
	}
	// Rows of each sequence, in input order: a counting sort of gid.
	start := make([]int, len(g.counts)+1)
	for id, c := range g.counts {
		start[id+1] = start[id] + c
	}
	perm := make([]int32, rows)
	fill := append([]int(nil), start[:len(g.counts)]...)
	for row, id := range gid {
		perm[fill[id]] = int32(row)
		fill[id]++
	}
	gid = nil
	d := max(r.d, 1)
	typ := first.chunk.Type
	ids := make([]int32, len(g.keys))
	for i := range ids {
		ids[i] = int32(i)
	}
	var v32 [][]float32
	var v64 [][]float64
	for _, rg := range groups {
		v32, v64 = append(v32, rg.chunk.Values.F32), append(v64, rg.chunk.Values.F64)
	}
	err = g.runSequences(ids, func(id int32, s *seq) {
		g.newSeqBuffers(s, typ, order != nil)
		rows := perm[start[id]:start[id+1]]
		if typ == parquetio.Float32 {
			gatherRows(s.in.F32, v32, rows, g.first, d)
		} else {
			gatherRows(s.in.F64, v64, rows, g.first, d)
		}
		if order != nil {
			for k, row := range rows {
				s.order[k] = order[row]
			}
		}
	}, func(id int32, s *seq) {
		rows := perm[start[id]:start[id+1]]
		if typ == parquetio.Float32 {
			scatterRows(v32, s.out.F32, rows, g.first, d)
		} else {
			scatterRows(v64, s.out.F64, rows, g.first, d)
		}
	})
	if err != nil {
		return err
	}
	for i, rg := range groups {
		if err := r.ctx.Err(); err != nil {
			return err
		}
		if err := r.writer.WriteRowGroup(i, rg.chunk); err != nil {
			return err
		}
		r.release(rg)
		if r.tracker != nil {
			r.tracker.AddRows(int64(rg.rows()))
		}
	}
	return nil
}

// gatherRows copies the values of file rows rows (ascending), held in
// row-group slabs src (first: each one's first file row), to dst.
func gatherRows[T float32 | float64](dst []T, src [][]T, rows []int32, first []int64, d int) {
	at := 0
	for k, row := range rows {
		for first[at+1] <= int64(row) {
			at++
		}
		local := int(int64(row) - first[at])
		if d == 1 {
			dst[k] = src[at][local]
			continue
		}
		copy(dst[k*d:(k+1)*d], src[at][local*d:(local+1)*d])
	}
}

// scatterRows is the inverse of gatherRows: src's values go to rows.
func scatterRows[T float32 | float64](dst [][]T, src []T, rows []int32, first []int64, d int) {
	at := 0
	for k, row := range rows {
		for first[at+1] <= int64(row) {
			at++
		}
		local := int(int64(row) - first[at])
		if d == 1 {
			dst[at][local] = src[k]
			continue
		}
		copy(dst[at][local*d:(local+1)*d], src[k*d:(k+1)*d])
	}
}

// acquireUpTo charges the budget up to n bytes and returns what it took.
// It waits while other files hold bytes they will give back, but some are
// held for the whole run (the attention weights made for a file's d take
// theirs when the first row group is read), so a request not granted
// within a moment is halved instead of waited on forever. Spilling works
// within what it gets.
func (r *run) acquireUpTo(n int64) (int64, error) {
	for n > 0 {
		if r.spec.Budget.TryAcquire(n) {
			return n, nil
		}
		ctx, cancel := context.WithTimeout(r.ctx, 100*time.Millisecond)
		err := r.spec.Budget.Acquire(ctx, n)
		cancel()
		if err == nil {
			return n, nil
		}
		if err := r.ctx.Err(); err != nil {
			return 0, err
		}
		n /= 2
	}
	return 0, nil
}
