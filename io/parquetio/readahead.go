package parquetio

import (
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/parquet-go/parquet-go/format"
)

// defaultReadAhead is ReadSpec.ReadAhead's default.
const defaultReadAhead = 8 << 20

// DefaultReadAhead is the bytes a value column's reader holds read ahead
// by default (ReadSpec.ReadAhead 0), beside the slabs it decodes into.
const DefaultReadAhead = defaultReadAhead

// minAheadBytes: a chunk smaller than this is read page by page on the
// caller's goroutine (starting goroutines would cost more than they
// save). Tests lower it.
var minAheadBytes int64 = 256 << 10

// newPageSource returns the reader of a chunk's pages for spec: pages
// read and decompressed ahead by workers, or on demand.
// Streamed pages are left to the reader.
func newPageSource(f *File, codec format.CompressionCodec, pages *lazyPages, spec ReadSpec) pageSource {
	budget := spec.ReadAhead
	if budget == 0 {
		budget = defaultReadAhead
	}
	workers := spec.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if budget < 0 || !worthAhead(f, codec, pages) {
		return newSerialPages(f, codec)
	}
	return newAheadPages(f, codec, pages, budget, workers)
}

// worthAhead reports whether reading a chunk's pages ahead may pay: at
// least minAheadBytes of pages read whole, in two pages or more. Pages
// not walked yet are judged by the chunk's size.
func worthAhead(f *File, codec format.CompressionCodec, pages *lazyPages) bool {
	pages.mu.Lock()
	known, done := pages.pages, pages.done
	pages.mu.Unlock()
	if !done {
		cm := &f.pf.Metadata().RowGroups[pages.key/f.numLeaf].Columns[pages.key%f.numLeaf].MetaData
		return cm.TotalCompressedSize >= minAheadBytes
	}
	var total int64
	whole := 0
	for i := range known {
		if !streamable(&known[i], codec) {
			total += int64(known[i].comp)
			whole++
		}
	}
	return total >= minAheadBytes && whole >= 2
}

// aheadPages reads a chunk's pages ahead of its consumer, into pooled
// buffers, and decompresses them on up to workers goroutines, while at
// most budget bytes of pages are issued and not yet given back (a page
// larger than the budget goes alone). The consumer takes them in order
// with get.
//
// One goroutine, the issuer, reads the chunk in file order: each page's
// header (validating it: lazyPages) and then its body. It stops at the
// first bad header, which the consumer meets in its turn, and waits at a
// page the consumer streams (pageStream) until the consumer is past it.
// Reading in order keeps an object-storage input's read-ahead, which
// follows one position per chunk, from dropping the bytes of a page a
// worker has not read yet because another worker read further on: each
// byte is fetched once. The workers only check and decompress.
type aheadPages struct {
	f      *File
	codec  format.CompressionCodec
	pages  *lazyPages
	budget int64

	mu       sync.Mutex
	cond     *sync.Cond
	slots    []*aheadSlot // one per page issued or asked for (grown under mu)
	inflight int64        // bytes of pages issued and not given back
	closed   atomic.Bool
	jobs     chan int
	wg       sync.WaitGroup
	taken    int // pages handed to the consumer (their buffers are its)
	asked    int // the consumer is past the pages before this one (under mu)
}

// aheadSlot is one page's result; done is closed when it is ready.
type aheadSlot struct {
	done chan struct{}
	loc  pageLoc // set before it is issued
	raw  []byte  // its stored bytes, read by the issuer
	data []byte
	bufs *pageBufs
	err  error
	cost int64
}

// aheadBufs pools the page buffers of all readers.
var aheadBufs = sync.Pool{New: func() any { return new(pageBufs) }}

func newAheadPages(f *File, codec format.CompressionCodec, pages *lazyPages, budget int64, workers int) *aheadPages {
	a := &aheadPages{f: f, codec: codec, pages: pages, budget: budget, jobs: make(chan int, workers)}
	a.cond = sync.NewCond(&a.mu)
	a.wg.Add(workers + 1)
	go a.issue()
	for range workers {
		go a.work()
	}
	return a
}

// slot returns page i's slot, making it if need be.
func (a *aheadPages) slot(i int) *aheadSlot {
	a.mu.Lock()
	defer a.mu.Unlock()
	for len(a.slots) <= i {
		a.slots = append(a.slots, &aheadSlot{done: make(chan struct{})})
	}
	return a.slots[i]
}

// issue validates the pages' headers, reads the pages and hands them to
// the workers in order, within the budget. It stops at the chunk's end or
// at a header that fails validation: the consumer, which asks lazyPages
// for every page before getting it, meets either itself.
func (a *aheadPages) issue() {
	defer a.wg.Done()
	defer close(a.jobs)
	for i := 0; !a.closed.Load(); i++ {
		p, ok, err := a.pages.page(i)
		if err != nil || !ok {
			return
		}
		s := a.slot(i)
		if streamable(&p, a.codec) {
			// the consumer reads it: walking on would leave its bytes
			// behind the read-ahead's position
			close(s.done)
			a.mu.Lock()
			for !a.closed.Load() && a.asked <= i {
				a.cond.Wait()
			}
			a.mu.Unlock()
			continue
		}
		if t := p.typ; t != format.DataPage && t != format.DataPageV2 && t != format.DictionaryPage {
			close(s.done) // an index page: not read
			continue
		}
		cost := int64(p.comp) + int64(p.uncomp)
		a.mu.Lock()
		for !a.closed.Load() && a.inflight > 0 && a.inflight+cost > a.budget {
			a.cond.Wait()
		}
		a.inflight += cost
		s.cost, s.loc = cost, p
		a.mu.Unlock()
		if a.closed.Load() {
			return
		}
		s.bufs = aheadBufs.Get().(*pageBufs)
		s.raw, s.err = a.f.readPage(&s.loc, a.codec, s.bufs)
		a.jobs <- i
	}
}

// work checks and decompresses the pages it is handed.
func (a *aheadPages) work() {
	defer a.wg.Done()
	for i := range a.jobs {
		s := a.slot(i)
		if s.err == nil && !a.closed.Load() {
			s.data, s.err = unpackPage(&s.loc, a.codec, s.bufs, s.raw)
		}
		close(s.done)
	}
}

// get waits for page i (which the consumer has from lazyPages) and
// returns its content; the returned function gives its buffer and budget
// back.
func (a *aheadPages) get(i int, _ *pageLoc) ([]byte, func(), error) {
	a.passed(i)
	s := a.slot(i)
	<-s.done
	a.taken = max(a.taken, i+1)
	return s.data, func() { a.giveBack(s) }, s.err
}

// passed records that the consumer is past the pages before page i (it
// has finished any page it streamed among them).
func (a *aheadPages) passed(i int) {
	a.mu.Lock()
	if i > a.asked {
		a.asked = i
		a.cond.Broadcast()
	}
	a.mu.Unlock()
}

// giveBack returns a page's buffers to the pool and its bytes to the
// budget.
func (a *aheadPages) giveBack(s *aheadSlot) {
	if s.bufs != nil {
		aheadBufs.Put(s.bufs)
		s.bufs, s.data = nil, nil
	}
	a.mu.Lock()
	a.inflight -= s.cost
	s.cost = 0
	a.mu.Unlock()
	a.cond.Broadcast()
}

// close stops the read-ahead, waits for the workers, and gives back the
// buffers of the pages read and not taken.
func (a *aheadPages) close() {
	a.closed.Store(true)
	a.mu.Lock()
	a.cond.Broadcast()
	a.mu.Unlock()
	a.wg.Wait()
	for i := a.taken; i < len(a.slots); i++ {
		if s := a.slots[i]; s.bufs != nil {
			aheadBufs.Put(s.bufs)
			s.bufs, s.data = nil, nil
		}
	}
}
