package parquetio

import (
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/parquet-go/parquet-go/format"
)

// defaultReadAhead is ReadSpec.ReadAhead's default.
const defaultReadAhead = 8 << 20

// minAheadBytes: a chunk smaller than this is read page by page on the
// caller's goroutine (starting goroutines would cost more than they
// save). Tests lower it.
var minAheadBytes int64 = 256 << 10

// newPageSource returns the reader of a chunk's pages for spec: pages
// read and decompressed ahead by workers, or on demand.
// Streamed pages are left to the reader.
func newPageSource(f *File, codec format.CompressionCodec, pages []pageLoc, streamed []bool, spec ReadSpec) pageSource {
	budget := spec.ReadAhead
	if budget == 0 {
		budget = defaultReadAhead
	}
	workers := spec.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var total int64
	whole := 0
	for i, p := range pages {
		if !streamed[i] {
			total += int64(p.comp)
			whole++
		}
	}
	if budget < 0 || total < minAheadBytes || whole < 2 {
		return newSerialPages(f, codec, pages)
	}
	return newAheadPages(f, codec, pages, streamed, budget, workers)
}

// aheadPages reads and decompresses a chunk's pages in page order on up
// to workers goroutines, into pooled buffers, while at most budget bytes
// of pages are issued and not yet given back (a page larger than the
// budget goes alone). The consumer takes them in order with get.
type aheadPages struct {
	f     *File
	codec format.CompressionCodec
	pages []pageLoc
	// streamed pages are read by the consumer itself (pageStream)
	streamed []bool
	slots    []aheadSlot
	budget   int64

	mu       sync.Mutex
	cond     *sync.Cond
	inflight int64 // bytes of pages issued and not given back
	closed   atomic.Bool
	jobs     chan int
	wg       sync.WaitGroup
	taken    int // pages handed to the consumer (their buffers are its)
}

// aheadSlot is one page's result; done is closed when it is ready.
type aheadSlot struct {
	done chan struct{}
	data []byte
	bufs *pageBufs
	err  error
	cost int64
}

// aheadBufs pools the page buffers of all readers.
var aheadBufs = sync.Pool{New: func() any { return new(pageBufs) }}

func newAheadPages(f *File, codec format.CompressionCodec, pages []pageLoc, streamed []bool, budget int64, workers int) *aheadPages {
	a := &aheadPages{f: f, codec: codec, pages: pages, streamed: streamed, slots: make([]aheadSlot, len(pages)), budget: budget, jobs: make(chan int, workers)}
	a.cond = sync.NewCond(&a.mu)
	for i := range a.slots {
		a.slots[i].done = make(chan struct{})
		a.slots[i].cost = int64(pages[i].comp) + int64(pages[i].uncomp)
	}
	a.wg.Add(workers + 1)
	go a.issue()
	for range workers {
		go a.work()
	}
	return a
}

// issue hands the pages to the workers in order, within the budget.
func (a *aheadPages) issue() {
	defer a.wg.Done()
	defer close(a.jobs)
	for i := range a.pages {
		if t := a.pages[i].typ; a.streamed[i] || (t != format.DataPage && t != format.DataPageV2 && t != format.DictionaryPage) {
			a.slots[i].cost = 0 // a streamed or index page: not read here
			close(a.slots[i].done)
			continue
		}
		cost := a.slots[i].cost
		a.mu.Lock()
		for !a.closed.Load() && a.inflight > 0 && a.inflight+cost > a.budget {
			a.cond.Wait()
		}
		a.inflight += cost
		a.mu.Unlock()
		if a.closed.Load() {
			return
		}
		a.jobs <- i
	}
}

// work reads and decompresses the pages it is handed.
func (a *aheadPages) work() {
	defer a.wg.Done()
	for i := range a.jobs {
		s := &a.slots[i]
		if !a.closed.Load() {
			s.bufs = aheadBufs.Get().(*pageBufs)
			s.data, s.err = a.f.fetchPage(&a.pages[i], a.codec, s.bufs)
		}
		close(s.done)
	}
}

// get waits for page i and returns its content; the returned function
// gives its buffer and budget back.
func (a *aheadPages) get(i int) ([]byte, func(), error) {
	s := &a.slots[i]
	<-s.done
	a.taken = max(a.taken, i+1)
	return s.data, func() { a.giveBack(s) }, s.err
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
	a.cond.Signal()
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
		if s := &a.slots[i]; s.bufs != nil {
			aheadBufs.Put(s.bufs)
			s.bufs, s.data = nil, nil
		}
	}
}
