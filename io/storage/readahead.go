package storage

import (
	"context"
	"io"
	"os"
	"sort"
	"sync"
	"sync/atomic"
)

// Range is Len bytes of a file starting at Off.
type Range struct{ Off, Len int64 }

// Prefetcher is a Reader that can fetch ahead of its reader: object
// storage, where every ReadAt would otherwise be one ranged GET. A Parquet
// reader calls Prefetch with the column chunks it is about to read; the
// Reader then fetches them in a few large ranged GETs, several at a time,
// and serves ReadAt from those buffers. It is only a hint: reads outside
// the ranges, or beyond what was fetched, are still served.
type Prefetcher interface {
	// Prefetch says the caller will read ranges next, each from its start
	// onwards. window bounds the bytes held or in flight for read-ahead
	// in the whole process (all open readers together).
	Prefetch(ranges []Range, window int64)
}

// Read-ahead tuning: ranges closer than aheadGap are fetched together;
// fetches are parts of at most maxPartSize bytes (less for a small
// window); a reader has at most aheadGets read-ahead fetches in flight; it
// remembers the read positions of its aheadStreams last hinted ranges (or
// of twice the ranges of the last hint, if more).
const (
	aheadGap     = 1 << 20
	maxPartSize  = 4 << 20
	minPartSize  = 256 << 10
	aheadGets    = 4
	aheadStreams = 64
)

// readAhead serves ReadAt of a remote object from parts fetched ahead of
// the reader along the ranges hinted by Prefetch; anything else is fetched
// as asked, one ranged read per ReadAt. Parts a reader has passed are
// dropped first when the window needs room; Close drops all of them and
// waits for the fetches in flight, which it cancels.
type readAhead struct {
	fetch  func(ctx context.Context, p []byte, off int64) (int, error)
	size   int64
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	gets   atomic.Int64
	bytes  atomic.Int64

	// under aheadPool.mu:
	parts   []*part   // sorted by off, disjoint
	streams []*stream // most recently read first
	flying  int       // read-ahead fetches in flight
	closed  bool
}

// stream is one hinted range and where its reader is in it.
type stream struct{ lo, hi, pos int64 }

// part is a range fetched (or to be fetched) in one ranged read.
type part struct {
	r      *readAhead
	off, n int64
	buf    []byte        // the bytes, once fetched
	wait   chan struct{} // closed when the fetch in flight ends; nil if none
	err    error         // the last fetch's error, for the next reader
	ahead  bool          // fetched as read-ahead (counts in flying)
	pins   int           // readers copying from buf
	used   int64         // aheadPool.tick of its last read
}

func (p *part) end() int64 { return p.off + p.n }

func newReadAhead(ctx context.Context, size int64, fetch func(context.Context, []byte, int64) (int, error)) *readAhead {
	ctx, cancel := context.WithCancel(ctx)
	return &readAhead{fetch: fetch, size: size, ctx: ctx, cancel: cancel}
}

// Gets is the number of ranged reads made so far.
func (r *readAhead) Gets() int64 { return r.gets.Load() }

// Fetched is the number of bytes the ranged reads returned so far.
func (r *readAhead) Fetched() int64 { return r.bytes.Load() }

func (r *readAhead) get(p []byte, off int64) (int, error) {
	r.gets.Add(1)
	n, err := r.fetch(r.ctx, p, off)
	r.bytes.Add(int64(n))
	return n, err
}

func partSize(limit int64) int64 {
	return min(maxPartSize, max(minPartSize, limit/8))
}

// Prefetch implements Prefetcher.
func (r *readAhead) Prefetch(ranges []Range, window int64) {
	var rs []Range
	for _, g := range ranges {
		lo, hi := max(g.Off, 0), min(g.Off+g.Len, r.size)
		if lo < hi {
			rs = append(rs, Range{lo, hi - lo})
		}
	}
	if len(rs) == 0 || window <= 0 {
		return
	}
	aheadPool.mu.Lock()
	defer aheadPool.mu.Unlock()
	if r.closed {
		return
	}
	aheadPool.limit = max(aheadPool.limit, window)
	ps := partSize(aheadPool.limit)
	spans := append([]Range(nil), rs...)
	sort.Slice(spans, func(i, j int) bool { return spans[i].Off < spans[j].Off })
	merged := spans[:1]
	for _, s := range spans[1:] {
		last := &merged[len(merged)-1]
		if s.Off <= last.Off+last.Len+aheadGap {
			last.Len = max(last.Len, s.Off+s.Len-last.Off)
			continue
		}
		merged = append(merged, s)
	}
	for i := len(rs) - 1; i >= 0; i-- {
		r.hint(rs[i].Off, rs[i].Off+rs[i].Len)
	}
	if len(r.streams) > max(aheadStreams, 2*len(rs)) {
		r.streams = r.streams[:max(aheadStreams, 2*len(rs))]
	}
	r.prune()
	for _, s := range merged {
		lo := s.Off
		for _, c := range cuts(s, rs) {
			r.cover(lo, c, ps)
			lo = c
		}
		r.cover(lo, s.Off+s.Len, ps)
	}
	for _, g := range rs {
		s := r.streamAt(g.Off)
		r.readAhead(s, r.partIndex(g.Off))
	}
}

// cuts returns where the parts of span s end at a boundary of a large
// hinted range (minPartSize or more) it holds, with at least minPartSize
// bytes on either side since the last cut. A part then never holds the
// end of one large column chunk and the start of the next, so a second
// pass over one (a key chunk read again) refetches none of the other's
// bytes; small chunks close together are still fetched in one read.
func cuts(s Range, rs []Range) []int64 {
	end := s.Off + s.Len
	var bs []int64
	for _, g := range rs {
		if g.Len < minPartSize {
			continue
		}
		for _, b := range [2]int64{g.Off, g.Off + g.Len} {
			if s.Off < b && b < end {
				bs = append(bs, b)
			}
		}
	}
	sort.Slice(bs, func(i, j int) bool { return bs[i] < bs[j] })
	var out []int64
	prev := s.Off
	for _, b := range bs {
		if b-prev >= minPartSize && end-b >= minPartSize {
			out = append(out, b)
			prev = b
		}
	}
	return out
}

// cover adds parts for the bytes of [lo, hi) no part covers yet.
func (r *readAhead) cover(lo, hi, ps int64) {
	var add []*part
	i := sort.Search(len(r.parts), func(i int) bool { return r.parts[i].end() > lo })
	for pos := lo; pos < hi; {
		holeEnd := hi
		if i < len(r.parts) && r.parts[i].off <= pos {
			pos = r.parts[i].end()
			i++
			continue
		}
		if i < len(r.parts) {
			holeEnd = min(hi, r.parts[i].off)
		}
		// parts of equal size, none above ps
		k := (holeEnd - pos + ps - 1) / ps
		for j := int64(0); j < k; j++ {
			a := pos + (holeEnd-pos)*j/k
			b := pos + (holeEnd-pos)*(j+1)/k
			add = append(add, &part{r: r, off: a, n: b - a})
		}
		pos = holeEnd
	}
	if len(add) > 0 {
		r.parts = append(r.parts, add...)
		sort.Slice(r.parts, func(i, j int) bool { return r.parts[i].off < r.parts[j].off })
	}
}

// hint makes [lo, hi) the most recent stream, read from its start.
func (r *readAhead) hint(lo, hi int64) {
	for i, s := range r.streams {
		if s.lo == lo && s.hi == hi {
			copy(r.streams[1:i+1], r.streams[:i])
			r.streams[0], s.pos = s, lo
			return
		}
	}
	r.streams = append([]*stream{{lo: lo, hi: hi, pos: lo}}, r.streams...)
}

// prune forgets the parts that hold nothing and that no remembered
// stream covers, so that a reader of a file of many row groups keeps a
// short list.
func (r *readAhead) prune() {
	kept := r.parts[:0]
	for _, p := range r.parts {
		covered := false
		for _, s := range r.streams {
			if s.lo < p.end() && p.off < s.hi {
				covered = true
				break
			}
		}
		if covered || p.buf != nil || p.wait != nil {
			kept = append(kept, p)
		}
	}
	clear(r.parts[len(kept):])
	r.parts = kept
}

// streamAt returns the most recent stream holding off, moved to the front.
func (r *readAhead) streamAt(off int64) *stream {
	for i, s := range r.streams {
		if s.lo <= off && off < s.hi {
			copy(r.streams[1:i+1], r.streams[:i])
			r.streams[0] = s
			return s
		}
	}
	return nil
}

// partIndex is the index of the part holding off, or -1.
func (r *readAhead) partIndex(off int64) int {
	i := sort.Search(len(r.parts), func(i int) bool { return r.parts[i].end() > off })
	if i < len(r.parts) && r.parts[i].off <= off {
		return i
	}
	return -1
}

// readAhead starts fetching the parts of s from index i on, up to half
// the window ahead of the reader and aheadGets fetches in flight.
func (r *readAhead) readAhead(s *stream, i int) {
	if s == nil || i < 0 {
		return
	}
	depth := max(aheadPool.limit/2, partSize(aheadPool.limit))
	var ahead int64
	for ; i < len(r.parts) && r.parts[i].off < s.hi && ahead < depth; i++ {
		p := r.parts[i]
		ahead += p.n
		if p.buf != nil || p.wait != nil {
			continue
		}
		if r.flying >= aheadGets || !r.start(p, false) {
			return
		}
	}
}

// start fetches p in the background once the window has room for it;
// a demanded part (a reader waits for it) is fetched even without room.
func (r *readAhead) start(p *part, demanded bool) bool {
	if !reserve(p.n, demanded) {
		return false
	}
	p.err = nil
	p.wait = make(chan struct{})
	p.ahead = !demanded
	if p.ahead {
		r.flying++
	}
	aheadPool.held[p] = struct{}{}
	buf := allocBuf(p.n)
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		n, err := r.get(buf, p.off)
		if err == io.EOF && int64(n) == p.n {
			err = nil
		}
		aheadPool.mu.Lock()
		defer aheadPool.mu.Unlock()
		if p.ahead {
			r.flying--
		}
		p.buf = buf
		switch {
		case r.closed:
			release(p)
		case err != nil:
			p.err = err
			release(p)
		}
		close(p.wait)
		p.wait = nil
	}()
	return true
}

// ReadAt reads from the fetched parts, waiting for those in flight;
// bytes outside every hinted range are read directly.
func (r *readAhead) ReadAt(b []byte, off int64) (int, error) {
	if off < 0 {
		return r.get(b, off) // the fetcher's error
	}
	n := 0
	for n < len(b) {
		cur := off + int64(n)
		if cur >= r.size {
			return n, io.EOF
		}
		aheadPool.mu.Lock()
		if r.closed {
			aheadPool.mu.Unlock()
			return n, os.ErrClosed
		}
		i := r.partIndex(cur)
		if i < 0 {
			end := off + int64(len(b))
			if j := sort.Search(len(r.parts), func(j int) bool { return r.parts[j].off > cur }); j < len(r.parts) {
				end = min(end, r.parts[j].off)
			}
			aheadPool.mu.Unlock()
			m, err := r.get(b[n:n+int(end-cur)], cur)
			n += m
			if err != nil {
				return n, err
			}
			continue
		}
		p := r.parts[i]
		if p.err != nil {
			err := p.err
			p.err = nil
			aheadPool.mu.Unlock()
			return n, err
		}
		s := r.streamAt(cur)
		if s != nil {
			s.pos = cur
		}
		if p.buf == nil && p.wait == nil {
			r.start(p, true)
		}
		r.readAhead(s, i+1)
		if w := p.wait; w != nil {
			aheadPool.mu.Unlock()
			<-w
			continue
		}
		aheadPool.tick++
		p.used = aheadPool.tick
		p.pins++
		buf := p.buf
		aheadPool.mu.Unlock()
		c := copy(b[n:], buf[cur-p.off:])
		aheadPool.mu.Lock()
		p.pins--
		if s != nil {
			s.pos = cur + int64(c)
		}
		aheadPool.mu.Unlock()
		n += c
	}
	return n, nil
}

// close drops every part, cancels the fetches in flight and waits for
// them.
func (r *readAhead) close() {
	aheadPool.mu.Lock()
	r.closed = true
	for _, p := range r.parts {
		if p.wait == nil {
			release(p)
		}
	}
	aheadPool.mu.Unlock()
	r.cancel()
	r.wg.Wait()
}
