package parquetio

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// TestReadAheadMatchesSerial: whatever the workers and the read-ahead
// budget (a budget below one page, a few pages, the default), pages read
// and decompressed ahead give the chunks the serial path gives, bit for
// bit, read whole or in random segments, and the same errors, on the
// generated cases (every codec, v1 and v2, all encodings) and the interop
// fixtures. Run with -race in CI.
func TestReadAheadMatchesSerial(t *testing.T) {
	defer func(old int64) { minAheadBytes = old }(minAheadBytes)
	rng := rand.New(rand.NewPCG(5, 6))
	var paths []string
	var specs []ReadSpec
	for _, c := range fuzzCodecs {
		for _, tc := range readCases() {
			opts := []parquet.WriterOption{parquet.Compression(c.codec), parquet.DataPageVersion(1 + rng.IntN(2)),
				parquet.PageBufferSize(64 + rng.IntN(1000)), parquet.MaxRowsPerRowGroup(int64(50 + rng.IntN(250)))}
			paths = append(paths, tc.write(t, t.TempDir(), opts...))
			specs = append(specs, tc.spec)
		}
	}
	for _, e := range interopFiles(t) {
		paths = append(paths, filepath.Join(interopDir, e.File))
		specs = append(specs, e.spec())
	}
	compared, ahead := 0, 0
	for i, path := range paths {
		f, err := Open(path)
		if err != nil {
			continue
		}
		for rg := 0; rg < f.NumRowGroups(); rg++ {
			serial := specs[i]
			serial.ReadAhead = -1
			minAheadBytes = 1 << 62
			want, werr := f.ReadValues(rg, serial, nil)
			minAheadBytes = 0
			for _, workers := range []int{1, 2, 3, 8} {
				for _, budget := range []int64{1, 3000, 0} {
					spec := specs[i]
					spec.Workers, spec.ReadAhead = workers, budget
					what := fmt.Sprintf("%s rg %d workers %d budget %d", path, rg, workers, budget)
					got, err := f.ReadValues(rg, spec, nil)
					if (err == nil) != (werr == nil) || (err != nil && err.Error() != werr.Error()) {
						t.Fatalf("%s: %v, serial: %v", what, err, werr)
					}
					if err != nil {
						continue
					}
					sameChunk(t, what, got, want)
					m := rng.IntN(max(want.Values.Len(), 1)) + 1
					segs, err := readSegments(t, f, rg, spec, func() int { return m })
					if err != nil {
						t.Fatalf("%s: segments: %v", what, err)
					}
					if want.Rows == 0 {
						want.Offsets = nil
					}
					sameChunk(t, what+" segments", segs, want)
					compared++
					// one segment, then Close with pages in flight
					sr, err := f.NewSegmentReader(rg, spec)
					if err != nil {
						t.Fatal(err)
					}
					if _, ok := sr.src.(*aheadPages); ok {
						ahead++
					}
					if _, err := sr.Next(1, nil); err != nil && want.Rows > 0 {
						t.Fatalf("%s: first segment: %v", what, err)
					}
					sr.Close()
				}
			}
		}
		f.Close()
	}
	if compared < 500 || ahead < compared/2 {
		t.Fatalf("only %d reads compared, %d of them read ahead", compared, ahead)
	}
	t.Logf("%d reads compared, %d of them read ahead", compared, ahead)
}
