package pipeline

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/contextualize/contextualize/io/storage"
)

// TestRunDurableBeforeManifests follows the filesystem operations of a run
// over hive partitions: every output is synced before it is renamed into
// place, and each output directory (with the parents of new directories)
// is synced after the renames into it and before any manifest that records
// them (_shards/0-of-1.json, _SUCCESS) is renamed into place, once per
// manifest write instead of once per output.
func TestRunDurableBeforeManifests(t *testing.T) {
	files := map[string]string{}
	for d := range 3 {
		for f := range 4 {
			files[fmt.Sprintf("day=%d/part-%d.parquet", d, f)] = fmt.Sprintf("day %d\nfile %d", d, f)
		}
	}
	fx := newFixture(t, files)
	ffs := storage.NewFaultFS(storage.OS(), nil)
	opt := fx.opts("fp1")
	// One file at a time: with more, another worker's rename may fall
	// between the directory syncs and a manifest that does not list it yet.
	opt.Workers, opt.FS = 1, ffs
	rep, err := Run(context.Background(), fx.units, &fakeProc{fp: "fp1"}, opt)
	if err != nil || !rep.SuccessWritten {
		t.Fatalf("%+v %v", rep, err)
	}
	fx.checkOutputs(t, "fp1")

	log := ffs.Log()
	synced := map[string]bool{} // files synced so far (temp names)
	dirty := map[string]bool{}  // output directories renamed into and not synced since
	dirSyncs := map[string]int{}
	manifests, outputs := 0, 0
	for i, l := range log {
		op, rest, _ := strings.Cut(l, " ")
		switch op {
		case "sync":
			synced[rest] = true
		case "syncdir":
			delete(dirty, rest)
			dirSyncs[rest]++
		case "rename":
			from, to, _ := strings.Cut(rest, " -> ")
			if !synced[from] {
				t.Fatalf("op %d: %s renamed before it was synced", i, to)
			}
			rel, _ := filepath.Rel(fx.out, to)
			if rel == SuccessName || strings.HasPrefix(rel, ShardsDir+string(filepath.Separator)) {
				manifests++
				if len(dirty) > 0 {
					t.Fatalf("op %d: %s written while directories %v hold unsynced renames\n%s", i, rel, dirty, strings.Join(log, "\n"))
				}
				continue
			}
			outputs++
			for d := filepath.Dir(to); d != filepath.Dir(fx.out); d = filepath.Dir(d) {
				dirty[d] = true
			}
		}
	}
	if outputs != len(files) || manifests < 3 {
		t.Fatalf("%d outputs and %d manifests renamed into place, want %d and at least 3", outputs, manifests, len(files))
	}
	// The shard manifest is written before the work, at the first commit
	// and at the end (flushEvery is an hour here): each output directory
	// is synced at most twice, not once per file.
	for d := range 3 {
		dir := filepath.Join(fx.out, fmt.Sprintf("day=%d", d))
		if n := dirSyncs[dir]; n < 1 || n > 2 {
			t.Fatalf("%s synced %d times for its 4 outputs, want 1 or 2", dir, n)
		}
	}
}
