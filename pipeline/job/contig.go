package job

import (
	"golang.org/x/sync/errgroup"

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
// the ids, before any value, workers row groups at a time in parallel
// (on a 10M-row file of string ids this is a third of a smooth's time:
// serial, it would show). When they are contiguous it returns their runs
// for the streaming path; at the first id seen again after its run ended
// it stops (the file is then grouped, see group.go).
func scanContiguous(f *parquetio.File, c parquetio.ColumnInfo, workers int) (bool, *idRunsCache, error) {
	n := f.NumRowGroups()
	cache := &idRunsCache{starts: make([][]int, n), keys: make([][]string, n)}
	seen := map[string]struct{}{}
	last, open := "", false
	workers = max(workers, 1)
	for lo := 0; lo < n; lo += workers {
		hi := min(lo+workers, n)
		var eg errgroup.Group
		for i := lo; i < hi; i++ {
			if f.RowGroupRows(i) == 0 {
				continue
			}
			eg.Go(func() error {
				var err error
				cache.starts[i], cache.keys[i], err = ReadIDRuns(f, i, c)
				return err
			})
		}
		if err := eg.Wait(); err != nil {
			return false, nil, err
		}
		for i := lo; i < hi; i++ {
			for j, k := range cache.keys[i] {
				if j == 0 && open && k == last {
					continue // the sequence goes on from the previous row group
				}
				if _, dup := seen[k]; dup {
					return false, nil, nil
				}
				seen[k] = struct{}{}
				last, open = k, true
			}
		}
	}
	return true, cache, nil
}

// needsGrouping reports whether a file's rows must be grouped by id
// (long layout with a sequence column whose ids are not contiguous), and
// the id runs for the streaming path otherwise.
func needsGrouping(f *parquetio.File, det schemas.Detected, workers int) (bool, *idRunsCache, error) {
	if det.Layout != schemas.Long || det.Sequence == nil {
		return false, nil, nil
	}
	ok, cache, err := scanContiguous(f, *det.Sequence, workers)
	if err != nil {
		return false, nil, err
	}
	return !ok, cache, nil
}
