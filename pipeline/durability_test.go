package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/contextualize/contextualize/io/storage"
)

// durabilityWatch is an FS that follows what a crash could lose: an output
// renamed into place is durable once its directory, and every directory
// up to the output location, has been synced after the rename. When a
// manifest is renamed into place it checks that every output it lists is
// durable. Renames and directory syncs are serialised so that their order
// is exact.
type durabilityWatch struct {
	storage.FS
	out string

	mu       sync.Mutex
	needs    map[string]map[string]bool // output -> directories still to sync
	dirSyncs map[string]int
	outputs  int      // outputs renamed into place
	checked  int      // manifests checked
	bad      []string // outputs a manifest listed before they were durable
}

func (w *durabilityWatch) manifest(rel string) bool {
	return rel == SuccessName || strings.HasPrefix(rel, ShardsDir+string(filepath.Separator))
}

func (w *durabilityWatch) Rename(from, to string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	rel, err := filepath.Rel(w.out, to)
	if err != nil {
		return err
	}
	if w.manifest(rel) {
		data, err := os.ReadFile(from)
		if err != nil {
			return err
		}
		var m struct{ Outputs []ManifestOutput }
		if err := json.Unmarshal(data, &m); err != nil {
			return fmt.Errorf("manifest %s: %w", rel, err)
		}
		for _, o := range m.Outputs {
			if p := filepath.Join(w.out, filepath.FromSlash(o.Path)); len(w.needs[p]) > 0 {
				w.bad = append(w.bad, fmt.Sprintf("%s lists %s before syncing %v", rel, o.Path, w.needs[p]))
			}
		}
		w.checked++
		return w.FS.Rename(from, to)
	}
	if err := w.FS.Rename(from, to); err != nil {
		return err
	}
	w.outputs++
	dirs := map[string]bool{}
	for d := filepath.Dir(to); d != filepath.Dir(w.out); d = filepath.Dir(d) {
		dirs[d] = true
	}
	w.needs[to] = dirs
	return nil
}

func (w *durabilityWatch) SyncDir(dir string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.FS.SyncDir(dir); err != nil {
		return err
	}
	w.dirSyncs[dir]++
	for _, dirs := range w.needs {
		delete(dirs, dir)
	}
	return nil
}

// TestRunDurableBeforeManifests follows the filesystem operations of a run
// over hive partitions, with two workers: every output is synced before it
// is renamed into place; a manifest (_shards/0-of-1.json, _SUCCESS) only
// lists outputs whose directories (up to the output location) were synced
// after their rename; and each directory is synced once per manifest
// write, not once per output.
func TestRunDurableBeforeManifests(t *testing.T) {
	files := map[string]string{}
	for d := range 3 {
		for f := range 4 {
			files[fmt.Sprintf("day=%d/part-%d.parquet", d, f)] = fmt.Sprintf("day %d\nfile %d", d, f)
		}
	}
	fx := newFixture(t, files)
	ffs := storage.NewFaultFS(storage.OS(), nil)
	w := &durabilityWatch{FS: ffs, out: fx.out, needs: map[string]map[string]bool{}, dirSyncs: map[string]int{}}
	opt := fx.opts("fp1")
	opt.Workers, opt.FS = 2, w
	rep, err := Run(context.Background(), fx.units, &fakeProc{fp: "fp1"}, opt)
	if err != nil || !rep.SuccessWritten {
		t.Fatalf("%+v %v", rep, err)
	}
	fx.checkOutputs(t, "fp1")
	if len(w.bad) > 0 {
		t.Fatalf("manifests listed outputs that a crash could lose:\n%s", strings.Join(w.bad, "\n"))
	}
	if w.outputs != len(files) || w.checked < 3 {
		t.Fatalf("%d outputs and %d manifests renamed into place, want %d and at least 3", w.outputs, w.checked, len(files))
	}

	// Every output file is synced before its rename (one goroutine does
	// both, so the log's order is theirs).
	log := ffs.Log()
	synced := map[string]bool{}
	for _, l := range log {
		op, rest, _ := strings.Cut(l, " ")
		switch op {
		case "sync":
			synced[rest] = true
		case "rename":
			if from, to, _ := strings.Cut(rest, " -> "); !synced[from] {
				t.Fatalf("%s renamed into place before it was synced\n%s", to, strings.Join(log, "\n"))
			}
		}
	}
	// The shard manifest is written before the work, at the first commit
	// and at the end (flushEvery is an hour here): each output directory
	// is synced at most twice, not once per file.
	for d := range 3 {
		dir := filepath.Join(fx.out, fmt.Sprintf("day=%d", d))
		if n := w.dirSyncs[dir]; n < 1 || n > 2 {
			t.Fatalf("%s synced %d times for its 4 outputs, want 1 or 2", dir, n)
		}
	}
}

// slowSyncFS holds the sync of the first output file until the Processor
// has been called for the next unit (or a timeout passes).
type slowSyncFS struct {
	storage.FS
	calls      *fakeProc
	overlapped chan bool
	once       sync.Once
}

type slowSyncFile struct {
	storage.File
	fs *slowSyncFS
}

func (f *slowSyncFile) Sync() error {
	f.fs.once.Do(func() {
		deadline := time.Now().Add(10 * time.Second)
		for f.fs.calls.calls.Load() < 2 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		f.fs.overlapped <- f.fs.calls.calls.Load() >= 2
	})
	return f.File.Sync()
}

// Fd keeps the temp file's lock working through the wrapper.
func (f *slowSyncFile) Fd() uintptr { return f.File.(interface{ Fd() uintptr }).Fd() }

func (s *slowSyncFS) OpenFile(name string, flag int, perm fs.FileMode) (storage.File, error) {
	f, err := s.FS.OpenFile(name, flag, perm)
	if err != nil || !strings.HasSuffix(name, ".parquet") || flag&os.O_CREATE == 0 {
		return f, err
	}
	return &slowSyncFile{File: f, fs: s}, nil
}

// TestRunComputesWhileCommitting: with one worker, the next unit is
// processed while the previous one waits for its fsync.
func TestRunComputesWhileCommitting(t *testing.T) {
	fx := newFixture(t, map[string]string{"a.parquet": "a", "b.parquet": "b", "c.parquet": "c"})
	p := &fakeProc{fp: "fp1"}
	sfs := &slowSyncFS{FS: storage.OS(), calls: p, overlapped: make(chan bool, 1)}
	opt := fx.opts("fp1")
	opt.Workers, opt.FS = 1, sfs
	if rep, err := Run(context.Background(), fx.units, p, opt); err != nil || !rep.SuccessWritten {
		t.Fatalf("%+v %v", rep, err)
	}
	if !<-sfs.overlapped {
		t.Fatal("the second unit was not processed while the first waited for its fsync")
	}
	fx.checkOutputs(t, "fp1")
}
