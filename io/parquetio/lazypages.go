package parquetio

import (
	"sync"

	"github.com/parquet-go/parquet-go/format"
)

// lazyPages are the pages of a column chunk that this package's page
// reader decodes, their headers validated as the reader reaches them
// (pageWalker) rather than all before the first page is read: each header
// is read just before its page, from the same bytes, so on object storage
// a chunk larger than the read-ahead window is fetched once. The checks
// and their errors are validateChunk's; a bad header in page N fails the
// read when the reader reaches page N, before it returns any of page N's
// rows. Level and dictionary-index runs are checked as the reader decodes
// them (runsChecked once it has read the whole chunk), so no page is
// decompressed for validation. Safe for the read-ahead's issuer and the
// reader to use at once.
type lazyPages struct {
	f   *File
	key int

	walkMu sync.Mutex  // held while walking
	walker *pageWalker // under walkMu

	mu    sync.Mutex
	pages []pageLoc // validated so far
	done  bool      // every header validated
	err   error     // the header that failed
}

// chunkPages returns the pages of column chunk (rg, leaf) for the page
// reader: already validated if an earlier reader walked the whole chunk,
// else validated as they are asked for. Like checkChunks it starts a read
// of the chunk, so it hints it to an object-storage input (prefetch).
func (f *File) chunkPages(rg, leaf int) (*lazyPages, error) {
	f.prefetch(rg, leaf)
	key := rg*f.numLeaf + leaf
	f.checkedMu.Lock()
	pages, ok := f.pages[key]
	f.checkedMu.Unlock()
	if ok {
		return &lazyPages{f: f, key: key, pages: pages, done: true}, nil
	}
	w, err := f.walkPages(rg, leaf, false)
	if err != nil {
		return nil, asInput(err)
	}
	return &lazyPages{f: f, key: key, walker: w}, nil
}

// page returns page i, validating the headers up to it; ok is false
// past the chunk's last page. A header that fails validation fails every
// later call.
func (l *lazyPages) page(i int) (pageLoc, bool, error) {
	if p, ok, settled, err := l.known(i); settled {
		return p, ok, err
	}
	l.walkMu.Lock()
	defer l.walkMu.Unlock()
	for {
		if p, ok, settled, err := l.known(i); settled {
			return p, ok, err
		}
		p, ok, err := l.walker.next()
		if ok && err == nil && l.codec() == format.Snappy {
			l.f.markSnappy(&p)
		}
		l.mu.Lock()
		switch {
		case err != nil:
			l.err = asInput(err)
		case !ok:
			l.done = true
			l.f.checkedMu.Lock()
			l.f.keepPages(l.key, l.pages)
			l.f.checkedMu.Unlock()
		default:
			l.pages = append(l.pages, p)
		}
		l.mu.Unlock()
	}
}

// known returns page i if it has been validated, or what stopped the walk
// before it; settled is false if its header is still to be read.
func (l *lazyPages) known(i int) (p pageLoc, ok, settled bool, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case i < len(l.pages):
		return l.pages[i], true, true, nil
	case l.err != nil:
		return pageLoc{}, false, true, l.err
	case l.done:
		return pageLoc{}, false, true, nil
	}
	return pageLoc{}, false, false, nil
}

// all validates every remaining header and returns the chunk's pages.
func (l *lazyPages) all() ([]pageLoc, error) {
	for i := 0; ; i++ {
		if _, ok, err := l.page(i); err != nil || !ok {
			l.mu.Lock()
			defer l.mu.Unlock()
			return l.pages, err
		}
	}
}

// codec is the chunk's compression codec.
func (l *lazyPages) codec() format.CompressionCodec {
	return l.f.pf.Metadata().RowGroups[l.key/l.f.numLeaf].Columns[l.key%l.f.numLeaf].MetaData.Codec
}
