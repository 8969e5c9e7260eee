package parquetio

import "github.com/contextualize/contextualize/io/storage"

// Read-ahead window for inputs in object storage: at most this many bytes
// fetched ahead or in flight in the whole process, or an eighth of the
// memory limit when that is less. The buffers live in the 64 MiB the limit
// leaves the process: at --memory-limit 64MiB a quarter (16 MiB) put a
// 45 MB DuckDB object's run at 121-126 MiB peak RSS, 3-8 MiB short of
// the limit + 64 MiB + its largest page; an eighth leaves room.
const maxReadAhead = 32 << 20

// prefetch tells an input read from object storage (a storage.Prefetcher)
// that the column chunks of the given leaves of row group rg are about to
// be read, so that it fetches them in a few large ranged GETs ahead of the
// reader instead of one GET per page. Local files ignore it.
func (f *File) prefetch(rg int, leaves ...int) {
	p, ok := f.osf.(storage.Prefetcher)
	md := f.pf.Metadata()
	if !ok || rg < 0 || rg >= len(md.RowGroups) {
		return
	}
	// Row groups are read in order: the same chunks of the next one are
	// fetched behind these, so that its first reads do not wait.
	ranges := make([]storage.Range, 0, 2*len(leaves))
	for g := rg; g <= rg+1 && g < len(md.RowGroups); g++ {
		cols := md.RowGroups[g].Columns
		for _, l := range leaves {
			if l < 0 || l >= len(cols) {
				continue
			}
			cm := &cols[l].MetaData
			start := cm.DataPageOffset
			if cm.DictionaryPageOffset > 0 && cm.DictionaryPageOffset < start {
				start = cm.DictionaryPageOffset
			}
			ranges = append(ranges, storage.Range{Off: start, Len: cm.TotalCompressedSize})
		}
	}
	window := int64(maxReadAhead)
	if f.pageLimit > 0 {
		window = min(window, f.pageLimit/8)
	}
	p.Prefetch(ranges, window)
}

// readLeaves lists the input leaves WriteRowGroup reads for row group rg:
// all of them, except the value column the writer generates from the
// values and the levels they carry instead of reading it again.
func (w *Writer) readLeaves() []int {
	var out []int
	for l := 0; l < w.in.numLeaf; l++ {
		if w.opts.OutputColumn == "" && l == w.inLeaf && (w.fast != nil || !pageLevels) {
			continue // the segments carry its levels
		}
		out = append(out, l)
	}
	return out
}
