package job

import (
	"github.com/contextualize/contextualize/io/parquetio"
	"github.com/contextualize/contextualize/schemas"
)

// idRunsCache holds the sequence-id runs of every row group of a file,
// found while checking that its sequences are contiguous, so that the
// streaming path does not decode the id column a second time.
type idRunsCache struct {
	starts [][]int
	keys   [][]string
}

// scanContiguous reads the sequence-id column of f (long layout) and
// reports whether the rows of each sequence are contiguous. It reads only
// the ids, before any value: when they are contiguous it returns their
// runs for the streaming path; at the first id seen again after its run
// ended it stops (the file is then grouped, see group.go).
func scanContiguous(f *parquetio.File, c parquetio.ColumnInfo) (bool, *idRunsCache, error) {
	cache := &idRunsCache{}
	seen := map[string]struct{}{}
	last, open := "", false
	for i := range f.NumRowGroups() {
		if f.RowGroupRows(i) == 0 {
			cache.starts, cache.keys = append(cache.starts, nil), append(cache.keys, nil)
			continue
		}
		starts, keys, err := ReadIDRuns(f, i, c)
		if err != nil {
			return false, nil, err
		}
		for j, k := range keys {
			if j == 0 && open && k == last {
				continue // the sequence goes on from the previous row group
			}
			if _, dup := seen[k]; dup {
				return false, nil, nil
			}
			seen[k] = struct{}{}
			last, open = k, true
		}
		cache.starts, cache.keys = append(cache.starts, starts), append(cache.keys, keys)
	}
	return true, cache, nil
}

// needsGrouping reports whether a file's rows must be grouped by id
// (long layout with a sequence column whose ids are not contiguous), and
// the id runs for the streaming path otherwise.
func needsGrouping(f *parquetio.File, det schemas.Detected) (bool, *idRunsCache, error) {
	if det.Layout != schemas.Long || det.Sequence == nil {
		return false, nil, nil
	}
	ok, cache, err := scanContiguous(f, *det.Sequence)
	if err != nil {
		return false, nil, err
	}
	return !ok, cache, nil
}
