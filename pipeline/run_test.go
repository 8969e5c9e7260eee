package pipeline

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/contextualize/contextualize/io/storage"
)

// fakeProc uppercases each line of the input through Ordered, after a
// header line holding the fingerprint. Inputs containing BAD fail with an
// input error, IOERR with an I/O error, PANIC panic, and CANCEL calls
// cancel and then waits for the context.
type fakeProc struct {
	fp     string
	cancel context.CancelFunc
	calls  atomic.Int64
	delay  time.Duration
}

func header(fp string) string { return "fingerprint=" + fp + "\n" }

func expected(fp, content string) string {
	var b strings.Builder
	b.WriteString(header(fp))
	for _, l := range strings.Split(content, "\n") {
		b.WriteString(strings.ToUpper(l) + "\n")
	}
	return b.String()
}

func (p *fakeProc) Process(ctx context.Context, u Unit, w io.Writer) (Result, error) {
	p.calls.Add(1)
	data, err := os.ReadFile(u.Input)
	if err != nil {
		return Result{}, err
	}
	s := string(data)
	if _, err := io.WriteString(w, header(p.fp)); err != nil {
		return Result{}, err
	}
	switch {
	case strings.Contains(s, "PANIC"):
		panic("fake processor panic")
	case strings.Contains(s, "IOERR"):
		return Result{}, &fs.PathError{Op: "read", Path: u.Input, Err: errors.New("input/output error")}
	case strings.Contains(s, "CANCEL"):
		p.cancel()
		<-ctx.Done()
		return Result{}, fmt.Errorf("reading row group 1: %w", ctx.Err())
	}
	lines := strings.Split(s, "\n")
	res := ResourcesFrom(ctx)
	tr := TrackerFrom(ctx)
	i := 0
	var rows int64
	err = Ordered(ctx, res.Workers, res.Budget,
		func() (string, int64, bool, error) {
			if i == len(lines) {
				return "", 0, false, nil
			}
			i++
			return lines[i-1], int64(len(lines[i-1])), true, nil
		},
		func(l *string) error {
			if strings.Contains(*l, "BAD") {
				return InputError(fmt.Errorf("%s: row group 0, sequence 3, column embedding: expected list<float>, found string", u.Input))
			}
			if p.delay > 0 {
				time.Sleep(p.delay)
			}
			*l = strings.ToUpper(*l) + "\n"
			return nil
		},
		func(l *string) error {
			rows++
			tr.AddRows(1)
			_, err := io.WriteString(w, *l)
			return err
		})
	return Result{Rows: rows, Sequences: 1}, err
}

func readFP(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "fingerprint=") {
		return "", fmt.Errorf("%s: no fingerprint", path)
	}
	return strings.TrimSuffix(strings.TrimPrefix(line, "fingerprint="), "\n"), nil
}

func readRows(path string) (int64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return int64(strings.Count(string(data), "\n") - 1), nil
}

type fixture struct {
	dir, in, out string
	files        map[string]string // rel -> content
	units        []Unit
}

func newFixture(t *testing.T, files map[string]string) *fixture {
	t.Helper()
	fx := &fixture{dir: t.TempDir(), files: files}
	fx.in = filepath.Join(fx.dir, "in")
	fx.out = filepath.Join(fx.dir, "out")
	if err := os.MkdirAll(fx.in, 0o755); err != nil {
		t.Fatal(err)
	}
	for rel, c := range files {
		p := filepath.Join(fx.in, filepath.FromSlash(rel))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fx.expand(t)
	return fx
}

func (fx *fixture) expand(t *testing.T) {
	t.Helper()
	units, err := Expand([]string{fx.in}, fx.out)
	if errors.Is(err, ErrNoInputs) {
		err = nil // the run of an empty set (--allow-empty)
	}
	if err != nil {
		t.Fatal(err)
	}
	fx.units = units
}

func (fx *fixture) opts(fp string) Options {
	return Options{
		Workers: 3, MemoryLimit: 64, Fingerprint: fp, ReadFingerprint: readFP, ReadRows: readRows,
		Command: "smooth", Version: "v1.2.3", Params: map[string]any{"sigma": 2.5, "mode": "reflect"},
		OutDir: fx.out, Quiet: true, flushEvery: time.Hour,
	}
}

// visible lists the files below dir whose path has no element starting with
// "."; hidden lists the others. The run's bookkeeping (_shards: shard
// manifests and locks) is left out.
func listOut(t *testing.T, dir string) (visible, hidden []string) {
	t.Helper()
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() && d.Name() == ShardsDir {
			return filepath.SkipDir
		}
		if err != nil || d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if strings.HasPrefix(d.Name(), ".") {
			hidden = append(hidden, rel)
		} else {
			visible = append(visible, rel)
		}
		return nil
	})
	return visible, hidden
}

// checkOutputs verifies that every visible output is complete and that
// _SUCCESS, when present, lists every unit; it returns whether _SUCCESS is
// present.
func (fx *fixture) checkOutputs(t *testing.T, fp string) bool {
	t.Helper()
	visible, _ := listOut(t, fx.out)
	success := false
	for _, v := range visible {
		switch {
		case v == SuccessName:
			success = true
		case strings.HasPrefix(v, ShardsDir+"/"):
		default:
			got, _ := os.ReadFile(filepath.Join(fx.out, v))
			if want := expected(fp, fx.files[v]); string(got) != want {
				t.Fatalf("visible output %s is not complete:\n%q\nwant\n%q", v, got, want)
			}
		}
	}
	if success {
		m := readSuccess(t, fx.out)
		if m.Files != len(fx.units) {
			t.Fatalf("_SUCCESS lists %d files, set has %d", m.Files, len(fx.units))
		}
		for _, o := range m.Outputs {
			if !slices.Contains(visible, o.Path) {
				t.Fatalf("_SUCCESS lists %s, which is missing", o.Path)
			}
		}
	}
	return success
}

func compact(raw []byte) string {
	var b bytes.Buffer
	json.Compact(&b, raw)
	return b.String()
}

// relative makes the fixture use paths relative to its directory, so that
// two fixtures expand to the same unit set.
func (fx *fixture) relative(t *testing.T) {
	t.Chdir(fx.dir)
	fx.in, fx.out = "in", "out"
	fx.expand(t)
}

func mustReadFile(t *testing.T, p string) []byte {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// timeless returns the manifest at p without what differs between two
// runs over equal files: the files' own modification times.
func timeless(t *testing.T, p string) []byte {
	t.Helper()
	var m SuccessManifest
	if err := json.Unmarshal(mustReadFile(t, p), &m); err != nil {
		t.Fatal(err)
	}
	for i := range m.Inputs {
		if id := m.Inputs[i].Identity; id != nil {
			id.ModTime = time.Time{}
		}
		m.Outputs[i].ModTime = time.Time{}
	}
	data, err := marshalManifest(m)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func readSuccess(t *testing.T, out string) SuccessManifest {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(out, SuccessName))
	if err != nil {
		t.Fatal(err)
	}
	var m SuccessManifest
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("_SUCCESS: %v\n%s", err, data)
	}
	return m
}

var sampleFiles = map[string]string{
	"a.parquet":          "alpha\nbeta",
	"b.parquet":          "gamma",
	"sub/c.parquet":      "delta\nepsilon\nzeta",
	"sub/deep/d.parquet": "eta\ntheta\niota\nkappa",
	"e.parquet":          "lambda\nmu",
}

func TestRunSuccess(t *testing.T) {
	checkNoLeak(t)
	fx := newFixture(t, sampleFiles)
	opt := fx.opts("fp1")
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	opt.now = func() time.Time { return start }
	p := &fakeProc{fp: "fp1"}
	rep, err := Run(context.Background(), fx.units, p, opt)
	if err != nil {
		t.Fatal(err)
	}
	if code := ExitCode(rep, err); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if rep.Written() != 5 || rep.Failed() != 0 || rep.Skipped() != 0 || !rep.SuccessWritten || rep.Rows() != 12 {
		t.Fatalf("report %+v", rep)
	}
	if !fx.checkOutputs(t, "fp1") {
		t.Fatal("no _SUCCESS")
	}
	if _, hidden := listOut(t, fx.out); len(hidden) != 0 {
		t.Fatalf("temp files left: %v", hidden)
	}
	m := readSuccess(t, fx.out)
	if m.Format != SuccessFormat || m.Version != "v1.2.3" || m.Command != "smooth" || m.Fingerprint != "fp1" ||
		m.ShardCount != 1 || m.Rows != 12 || compact(m.Parameters) != `{"mode":"reflect","sigma":2.5}` ||
		!m.Started.Equal(start) || !m.Finished.Equal(start) || m.SetDigest != SetDigest(fx.units) {
		t.Fatalf("manifest %+v", m)
	}
	var paths []string
	for i, o := range m.Outputs {
		paths = append(paths, o.Path)
		fi, err := os.Stat(filepath.Join(fx.out, o.Path))
		if err != nil || fi.Size() != o.Bytes {
			t.Fatalf("output %s: bytes %d, file %v %v", o.Path, o.Bytes, fi, err)
		}
		in := m.Inputs[i]
		if in.Path != filepath.ToSlash(filepath.Join(fx.in, o.Path)) || in.Size != int64(len(fx.files[o.Path])) || in.Rows != o.Rows {
			t.Fatalf("input %+v for output %+v", in, o)
		}
	}
	if !sort.StringsAreSorted(paths) || len(paths) != 5 {
		t.Fatalf("outputs %v", paths)
	}

	// Same bytes with one worker and a tiny budget.
	opt2 := opt
	opt2.OutDir = filepath.Join(fx.dir, "out2")
	opt2.Workers, opt2.MemoryLimit = 1, 1
	units2, _ := Expand([]string{fx.in}, opt2.OutDir)
	if _, err := Run(context.Background(), units2, p, opt2); err != nil {
		t.Fatal(err)
	}
	for rel := range fx.files {
		a, _ := os.ReadFile(filepath.Join(fx.out, rel))
		b, _ := os.ReadFile(filepath.Join(opt2.OutDir, rel))
		if !bytes.Equal(a, b) {
			t.Fatalf("%s differs between worker counts", rel)
		}
	}
	a := timeless(t, filepath.Join(fx.out, SuccessName))
	b := timeless(t, filepath.Join(opt2.OutDir, SuccessName))
	if !bytes.Equal(a, b) {
		t.Fatalf("_SUCCESS differs between worker counts:\n%s\n%s", a, b)
	}
}

func TestRunEmptySet(t *testing.T) {
	fx := newFixture(t, nil)
	rep, err := Run(context.Background(), fx.units, &fakeProc{fp: "x"}, fx.opts("x"))
	if err != nil || ExitCode(rep, err) != 0 || !rep.SuccessWritten {
		t.Fatalf("rep %+v err %v", rep, err)
	}
	if m := readSuccess(t, fx.out); m.Files != 0 || len(m.Outputs) != 0 {
		t.Fatalf("manifest %+v", m)
	}
}

func withFile(rel, content string) map[string]string {
	m := map[string]string{}
	for k, v := range sampleFiles {
		m[k] = v
	}
	m[rel] = content
	return m
}

func TestRunKeepGoing(t *testing.T) {
	checkNoLeak(t)
	for _, tc := range []struct {
		content string
		code    int
	}{
		{"ok\nBAD row\nok", ExitInputs},
		{"IOERR", ExitIO},
		{"PANIC", ExitIO},
	} {
		t.Run(tc.content, func(t *testing.T) {
			fx := newFixture(t, withFile("b.parquet", tc.content))
			var logs bytes.Buffer
			opt := fx.opts("fp1")
			opt.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			rep, err := Run(context.Background(), fx.units, &fakeProc{fp: "fp1"}, opt)
			if err == nil {
				t.Fatal("no error")
			}
			if code := ExitCode(rep, err); code != tc.code {
				t.Fatalf("exit %d, want %d (err %v)", code, tc.code, err)
			}
			if rep.Failed() != 1 || rep.Written() != 4 || rep.SuccessWritten {
				t.Fatalf("report %+v", rep)
			}
			if !strings.Contains(err.Error(), "b.parquet") || !strings.Contains(logs.String(), "b.parquet") {
				t.Fatalf("error does not name the file: %v\n%s", err, logs.String())
			}
			if fx.checkOutputs(t, "fp1") {
				t.Fatal("_SUCCESS written despite a failure")
			}
			visible, hidden := listOut(t, fx.out)
			if len(hidden) != 0 || len(visible) != 4 || slices.Contains(visible, "b.parquet") {
				t.Fatalf("visible %v hidden %v", visible, hidden)
			}

			// Fix the input and rerun: the four good outputs are skipped.
			fx.files["b.parquet"] = "fixed"
			os.WriteFile(filepath.Join(fx.in, "b.parquet"), []byte("fixed"), 0o644)
			fx.expand(t)
			p := &fakeProc{fp: "fp1"}
			rep, err = Run(context.Background(), fx.units, p, opt)
			if err != nil || rep.Skipped() != 4 || rep.Written() != 1 || p.calls.Load() != 1 {
				t.Fatalf("rerun: %+v %v", rep, err)
			}
			if !fx.checkOutputs(t, "fp1") {
				t.Fatal("no _SUCCESS after the rerun")
			}
			m := readSuccess(t, fx.out)
			if m.Rows != 12 {
				t.Fatalf("rows %d (skipped outputs' rows from ReadRows)", m.Rows)
			}
		})
	}
}

func TestRunFailFast(t *testing.T) {
	checkNoLeak(t)
	fx := newFixture(t, withFile("a.parquet", "BAD"))
	opt := fx.opts("fp1")
	opt.FailFast, opt.Workers = true, 1
	p := &fakeProc{fp: "fp1"}
	rep, err := Run(context.Background(), fx.units, p, opt)
	if err == nil || ExitCode(rep, err) != ExitInputs || Classify(err) != ClassInput {
		t.Fatalf("err %v exit %d", err, ExitCode(rep, err))
	}
	if rep.Failed() != 1 || rep.Canceled() != 4 || rep.Written() != 0 || p.calls.Load() != 1 {
		t.Fatalf("report %+v, %d calls", rep, p.calls.Load())
	}
	if visible, hidden := listOut(t, fx.out); len(visible)+len(hidden) != 0 {
		t.Fatalf("left %v %v", visible, hidden)
	}
}

func TestRunSkipMismatchOverwrite(t *testing.T) {
	fx := newFixture(t, sampleFiles)
	ctx := context.Background()
	if _, err := Run(ctx, fx.units, &fakeProc{fp: "A"}, fx.opts("A")); err != nil {
		t.Fatal(err)
	}
	mtimes := map[string]time.Time{}
	for rel := range fx.files {
		fi, _ := os.Stat(filepath.Join(fx.out, rel))
		mtimes[rel] = fi.ModTime()
	}

	// Same fingerprint: everything skipped, nothing called, _SUCCESS kept
	// as it was.
	before := mustReadFile(t, filepath.Join(fx.out, SuccessName))
	p := &fakeProc{fp: "A"}
	rep, err := Run(ctx, fx.units, p, fx.opts("A"))
	if err != nil || rep.Skipped() != 5 || p.calls.Load() != 0 || rep.SuccessWritten ||
		!bytes.Equal(before, mustReadFile(t, filepath.Join(fx.out, SuccessName))) {
		t.Fatalf("skip run: %+v %v calls %d", rep, err, p.calls.Load())
	}
	for _, u := range rep.Units {
		if u.Action != ActionSkip || u.Rows != int64(strings.Count(fx.files[filepath.ToSlash(u.Rel)], "\n")+1) {
			t.Fatalf("unit %+v", u)
		}
	}

	// Other fingerprint: usage error before any work, nothing changed.
	p = &fakeProc{fp: "B"}
	rep, err = Run(ctx, fx.units, p, fx.opts("B"))
	if err == nil || Classify(err) != ClassUsage || ExitCode(rep, err) != ExitUsage || p.calls.Load() != 0 {
		t.Fatalf("mismatch run: %v exit %d calls %d", err, ExitCode(rep, err), p.calls.Load())
	}
	if !strings.Contains(err.Error(), "--overwrite") || !strings.Contains(err.Error(), "5 existing outputs") {
		t.Fatalf("message: %v", err)
	}
	if !fx.checkOutputs(t, "A") {
		t.Fatal("_SUCCESS of the good run removed by a run that did nothing")
	}
	for rel, mt := range mtimes {
		fi, _ := os.Stat(filepath.Join(fx.out, rel))
		if !fi.ModTime().Equal(mt) {
			t.Fatalf("%s modified", rel)
		}
	}

	// A half-written rerun removes the old _SUCCESS first: make the
	// processor fail on one file with --overwrite.
	os.WriteFile(filepath.Join(fx.in, "e.parquet"), []byte("BAD"), 0o644)
	fx.expand(t)
	opt := fx.opts("B")
	opt.Overwrite = true
	rep, err = Run(ctx, fx.units, &fakeProc{fp: "B"}, opt)
	if err == nil || rep.Failed() != 1 {
		t.Fatalf("overwrite with a failure: %+v %v", rep, err)
	}
	if _, err := os.Stat(filepath.Join(fx.out, SuccessName)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("stale _SUCCESS survived a partial overwrite: %v", err)
	}

	// Overwrite: everything rewritten with B.
	os.WriteFile(filepath.Join(fx.in, "e.parquet"), []byte(fx.files["e.parquet"]), 0o644)
	fx.expand(t)
	p = &fakeProc{fp: "B"}
	rep, err = Run(ctx, fx.units, p, opt)
	if err != nil || rep.Written() != 5 || p.calls.Load() != 5 {
		t.Fatalf("overwrite run: %+v %v", rep, err)
	}
	if !fx.checkOutputs(t, "B") || readSuccess(t, fx.out).Fingerprint != "B" {
		t.Fatal("overwrite did not produce B outputs and _SUCCESS")
	}
}

func TestRunCancel(t *testing.T) {
	checkNoLeak(t)
	fx := newFixture(t, withFile("sub/c.parquet", "CANCEL"))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	opt := fx.opts("fp1")
	opt.Workers = 2
	p := &fakeProc{fp: "fp1", cancel: cancel, delay: time.Millisecond}
	rep, err := Run(ctx, fx.units, p, opt)
	if !errors.Is(err, context.Canceled) || ExitCode(rep, err) != ExitCanceled {
		t.Fatalf("err %v exit %d", err, ExitCode(rep, err))
	}
	if rep.Failed() != 0 || rep.Canceled() == 0 || rep.SuccessWritten {
		t.Fatalf("report %+v", rep)
	}
	if fx.checkOutputs(t, "fp1") {
		t.Fatal("_SUCCESS after cancel")
	}
	if _, hidden := listOut(t, fx.out); len(hidden) != 0 {
		t.Fatalf("temp files left: %v", hidden)
	}
}

// warningOnly reports whether a failed operation (a FaultFS log line) is
// one a run only warns about: listing for the stale temp cleanup, and
// closing the lock file when the lock is released.
func warningOnly(op string) bool {
	first, _, _ := strings.Cut(op, ":")
	return strings.HasPrefix(op, "readdir ") || (strings.HasPrefix(op, "close ") && strings.HasSuffix(first, ".lock"))
}

// TestRunFaults fails each filesystem operation of a run in turn. Whatever
// fails, a visible output is always complete, _SUCCESS is never there
// unless every output is, the error is an I/O error, and a rerun without
// faults finishes the job and leaves no temp file.
func TestRunFaults(t *testing.T) {
	fx := newFixture(t, sampleFiles)
	probe := storage.NewFaultFS(storage.OS(), nil)
	opt := fx.opts("fp1")
	opt.Workers, opt.FS = 1, probe
	if _, err := Run(context.Background(), fx.units, &fakeProc{fp: "fp1"}, opt); err != nil {
		t.Fatal(err)
	}
	total := probe.Ops()
	if total < 40 {
		t.Fatalf("only %d operations:\n%s", total, strings.Join(probe.Log(), "\n"))
	}
	t.Logf("%d operations in a run", total)
	for n := int64(1); n <= total; n++ {
		os.RemoveAll(fx.out)
		ffs := storage.NewFaultFS(storage.OS(), storage.FailNth(n))
		opt.FS = ffs
		rep, err := Run(context.Background(), fx.units, &fakeProc{fp: "fp1"}, opt)
		log := ffs.Log()
		failed := ""
		for _, l := range log {
			if strings.HasSuffix(l, storage.ErrInjected.Error()) {
				failed = l
			}
		}
		if failed == "" {
			// A unit's commit overlaps the next unit's work, so a directory
			// sync the probe made twice may serve two outputs at once here:
			// a run may end a few operations short of the probe's.
			if n > total-4 {
				continue
			}
			t.Fatalf("op %d: not reached (%d ops)", n, len(log))
		}
		// Only the stale-file cleanup (readdir) and the release of the
		// lock (close) may fail without failing the run: they are logged
		// as warnings.
		if err == nil && !warningOnly(failed) {
			t.Fatalf("op %d (%s): fault not reported", n, failed)
		}
		if err != nil {
			if code := ExitCode(rep, err); code != ExitIO {
				t.Fatalf("op %d (%s): exit %d for %v", n, failed, code, err)
			}
			if !errors.Is(err, storage.ErrInjected) && (rep == nil || rep.Failed() == 0) {
				t.Fatalf("op %d: %v does not wrap the injected fault", n, err)
			}
		}
		fx.checkOutputs(t, "fp1")

		opt.FS = storage.OS()
		rep, err = Run(context.Background(), fx.units, &fakeProc{fp: "fp1"}, opt)
		if err != nil {
			t.Fatalf("op %d (%s): rerun: %v", n, failed, err)
		}
		if !fx.checkOutputs(t, "fp1") {
			t.Fatalf("op %d: rerun wrote no _SUCCESS", n)
		}
		if _, hidden := listOut(t, fx.out); len(hidden) != 0 {
			t.Fatalf("op %d: temp files after rerun: %v", n, hidden)
		}
	}
}

func TestRunShards(t *testing.T) {
	files := map[string]string{}
	for i := range 7 {
		files[fmt.Sprintf("f%d.parquet", i)] = fmt.Sprintf("row %d\nrow %d", i, i)
	}
	base := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	runShard := func(fx *fixture, i int) *Report {
		t.Helper()
		opt := fx.opts("fp1")
		opt.ShardIndex, opt.ShardCount = i, 3
		opt.now = func() time.Time { return base.Add(time.Duration(i) * time.Hour) }
		rep, err := Run(context.Background(), fx.units, &fakeProc{fp: "fp1"}, opt)
		if err != nil {
			t.Fatalf("shard %d: %v", i, err)
		}
		return rep
	}
	var successes [][]byte
	for _, order := range [][]int{{0, 1, 2}, {2, 0, 1}} {
		fx := newFixture(t, files)
		fx.relative(t)
		for k, i := range order {
			rep := runShard(fx, i)
			if len(rep.Units) != len(Select(fx.units, i, 3)) {
				t.Fatalf("shard %d ran %d units", i, len(rep.Units))
			}
			_, err := os.Stat(filepath.Join(fx.out, SuccessName))
			last := k == len(order)-1
			if last != (err == nil) || rep.SuccessWritten != last {
				t.Fatalf("after shard %d (%d of 3): _SUCCESS present=%v", i, k+1, err == nil)
			}
			if _, err := os.Stat(ShardManifestPath(fx.out, i, 3)); err != nil {
				t.Fatal(err)
			}
		}
		fx.checkOutputs(t, "fp1")
		m := readSuccess(t, fx.out)
		if m.ShardCount != 3 || m.Files != 7 || m.Rows != 14 || !m.Started.Equal(base) || !m.Finished.Equal(base.Add(2*time.Hour)) {
			t.Fatalf("merged manifest %+v", m)
		}
		successes = append(successes, timeless(t, filepath.Join(fx.out, SuccessName)))
	}
	if !bytes.Equal(successes[0], successes[1]) {
		t.Fatalf("merged _SUCCESS depends on shard order:\n%s\n%s", successes[0], successes[1])
	}

	// Shard manifests of a run over another set of files do not count.
	fx := newFixture(t, files)
	runShard(fx, 0)
	runShard(fx, 1)
	os.WriteFile(filepath.Join(fx.in, "f7.parquet"), []byte("new"), 0o644)
	fx.files["f7.parquet"] = "new"
	fx.expand(t)
	if rep := runShard(fx, 2); rep.SuccessWritten {
		t.Fatal("_SUCCESS merged from shard manifests of another file set")
	}
	runShard(fx, 0)
	if rep := runShard(fx, 1); !rep.SuccessWritten {
		t.Fatal("set not completed after every shard reran")
	}
	fx.checkOutputs(t, "fp1")
}

// TestRunShardsConcurrent runs three shards at once into one directory, as
// a Kubernetes Indexed Job does: none may delete another's temp files.
func TestRunShardsConcurrent(t *testing.T) {
	checkNoLeak(t)
	files := map[string]string{}
	for i := range 12 {
		files[fmt.Sprintf("d%d/f%d.parquet", i%2, i)] = strings.Repeat(fmt.Sprintf("line %d\n", i), 20)
	}
	fx := newFixture(t, files)
	var wg sync.WaitGroup
	reps := make([]*Report, 3)
	errs := make([]error, 3)
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			opt := fx.opts("fp1")
			opt.ShardIndex, opt.ShardCount = i, 3
			reps[i], errs[i] = Run(context.Background(), fx.units, &fakeProc{fp: "fp1", delay: 50 * time.Microsecond}, opt)
		}()
	}
	wg.Wait()
	wrote := 0
	for i := range 3 {
		if errs[i] != nil {
			t.Fatalf("shard %d: %v", i, errs[i])
		}
		if reps[i].SuccessWritten {
			wrote++
		}
	}
	if wrote == 0 || !fx.checkOutputs(t, "fp1") {
		t.Fatal("no shard wrote _SUCCESS")
	}
	if _, hidden := listOut(t, fx.out); len(hidden) != 0 {
		t.Fatalf("temp files left: %v", hidden)
	}
}

func TestRunBadOptions(t *testing.T) {
	fx := newFixture(t, sampleFiles)
	for _, mod := range []func(*Options){
		func(o *Options) { o.OutDir = "" },
		func(o *Options) { o.ShardIndex, o.ShardCount = 3, 3 },
		func(o *Options) { o.ShardIndex, o.ShardCount = 1, 0 },
		func(o *Options) { o.Progress = "sometimes" },
	} {
		opt := fx.opts("x")
		mod(&opt)
		rep, err := Run(context.Background(), fx.units, &fakeProc{}, opt)
		if ExitCode(rep, err) != ExitUsage {
			t.Fatalf("%+v: %v", opt, err)
		}
	}
}

func TestExitCode(t *testing.T) {
	pathErr := &fs.PathError{Op: "open", Path: "x", Err: errors.New("denied")}
	failed := func(errs ...error) *Report {
		r := &Report{}
		for _, e := range errs {
			r.Units = append(r.Units, UnitReport{Status: StatusFailed, Err: e})
		}
		r.Units = append(r.Units, UnitReport{Status: StatusWritten})
		return r
	}
	tests := []struct {
		name string
		rep  *Report
		err  error
		want int
	}{
		{"ok", &Report{Units: []UnitReport{{Status: StatusWritten}, {Status: StatusSkipped}}}, nil, 0},
		{"nothing to do", &Report{}, nil, 0},
		{"nil report", nil, nil, 0},
		{"usage", nil, Usage(errors.New("bad flag")), 2},
		{"io", nil, fmt.Errorf("writing: %w", pathErr), 1},
		{"unclassified", nil, errors.New("weird"), 1},
		{"input only", nil, InputError(errors.New("bad row")), 3},
		{"canceled", &Report{Units: []UnitReport{{Status: StatusWritten}, {Status: StatusCanceled}}}, fmt.Errorf("interrupted: %w", context.Canceled), 130},
		{"canceled beats failures", failed(InputError(errors.New("x"))), fmt.Errorf("x: %w", context.Canceled), 130},
		{"deadline is io", nil, context.DeadlineExceeded, 1},
		{"some inputs failed", failed(InputError(errors.New("x"))), errors.New("1 of 2 failed"), 3},
		{"io failure beats inputs", failed(InputError(errors.New("x")), pathErr), errors.New("2 failed"), 1},
		{"usage beats all", failed(pathErr, Usage(errors.New("fp")), InputError(errors.New("x"))), errors.New("3 failed"), 2},
		{"marker method", nil, markerErr{}, 3},
		{"manifest write failed", &Report{Units: []UnitReport{{Status: StatusWritten}}}, IOError(errors.New("disk full")), 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ExitCode(tc.rep, tc.err); got != tc.want {
				t.Fatalf("ExitCode = %d, want %d", got, tc.want)
			}
		})
	}
	if Usage(nil) != nil || InputError(nil) != nil || IOError(nil) != nil || Classify(nil) != 0 {
		t.Fatal("nil handling")
	}
}

type markerErr struct{}

func (markerErr) Error() string    { return "data error" }
func (markerErr) InputError() bool { return true }

func TestProgressLogs(t *testing.T) {
	checkNoLeak(t)
	fx := newFixture(t, sampleFiles)
	var mu sync.Mutex
	var buf bytes.Buffer
	opt := fx.opts("fp1")
	opt.Quiet = false
	opt.Progress = ProgressAuto // a bytes.Buffer is not a terminal
	opt.Stderr = &buf
	opt.ProgressInterval = 2 * time.Millisecond
	opt.Logger = slog.New(slog.NewJSONHandler(lockedWriter{&mu, &buf}, nil))
	opt.InputRows = func(path string) (int64, error) { // the fake's "footer": its lines
		b, err := os.ReadFile(path)
		return int64(strings.Count(string(b), "\n") + 1), err
	}
	if _, err := Run(context.Background(), fx.units, &fakeProc{fp: "fp1", delay: 2 * time.Millisecond}, opt); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	out := buf.String()
	mu.Unlock()
	if !strings.Contains(out, `"msg":"progress"`) || !strings.Contains(out, `"files_total":5`) {
		t.Fatalf("no progress records:\n%s", out)
	}
	// Totals from the footers (12 rows), a percentage and an ETA.
	var withTotal int
	for _, line := range strings.Split(out, "\n") {
		var rec struct {
			Msg        string   `json:"msg"`
			Rows       int64    `json:"rows"`
			RowsTotal  int64    `json:"rows_total"`
			Percent    *float64 `json:"percent"`
			ETASeconds *float64 `json:"eta_seconds"`
		}
		if json.Unmarshal([]byte(line), &rec) != nil || rec.Msg != "progress" || rec.RowsTotal == 0 {
			continue
		}
		withTotal++
		if rec.RowsTotal != 12 || rec.Percent == nil || *rec.Percent != math.Round(1000*float64(rec.Rows)/12)/10 {
			t.Errorf("progress record %s: want rows_total 12 and its percentage", line)
		}
		if rec.Rows > 0 && rec.ETASeconds == nil {
			t.Errorf("progress record %s: no ETA", line)
		}
	}
	if withTotal == 0 {
		t.Errorf("no progress record with totals:\n%s", out)
	}

	// Quiet: no progress records at all.
	buf.Reset()
	opt.Quiet, opt.Overwrite = true, true
	if _, err := Run(context.Background(), fx.units, &fakeProc{fp: "fp1", delay: 2 * time.Millisecond}, opt); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), `"msg":"progress"`) {
		t.Fatal("progress records with Quiet")
	}

	// Always: bars, even into a buffer.
	var bars bytes.Buffer
	opt.Quiet, opt.Progress, opt.Stderr = false, ProgressAlways, lockedWriter{&mu, &bars}
	if _, err := Run(context.Background(), fx.units, &fakeProc{fp: "fp1", delay: time.Millisecond}, opt); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(bars.String(), "files") || !strings.Contains(bars.String(), "12 / 12") || !strings.Contains(bars.String(), "%") {
		t.Fatalf("no bars with totals drawn: %q", bars.String())
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestRunShardFaults fails each operation of the shard that completes the
// set (shard manifest, reading the others, merging, _SUCCESS).
func TestRunShardFaults(t *testing.T) {
	files := map[string]string{}
	for i := range 6 {
		files[fmt.Sprintf("f%d.parquet", i)] = fmt.Sprintf("row %d", i)
	}
	fx := newFixture(t, files)
	shardOpt := func(i int, fsys storage.FS) Options {
		opt := fx.opts("fp1")
		opt.ShardIndex, opt.ShardCount, opt.Workers, opt.FS = i, 3, 1, fsys
		return opt
	}
	for i := range 2 {
		if _, err := Run(context.Background(), fx.units, &fakeProc{fp: "fp1"}, shardOpt(i, nil)); err != nil {
			t.Fatal(err)
		}
	}
	template := filepath.Join(fx.dir, "template")
	if err := os.Rename(fx.out, template); err != nil {
		t.Fatal(err)
	}
	reset := func() {
		os.RemoveAll(fx.out)
		if err := os.CopyFS(fx.out, os.DirFS(template)); err != nil {
			t.Fatal(err)
		}
	}
	reset()
	probe := storage.NewFaultFS(storage.OS(), nil)
	if rep, err := Run(context.Background(), fx.units, &fakeProc{fp: "fp1"}, shardOpt(2, probe)); err != nil || !rep.SuccessWritten {
		t.Fatalf("%+v %v", rep, err)
	}
	total := probe.Ops()
	for n := int64(1); n <= total; n++ {
		reset()
		ffs := storage.NewFaultFS(storage.OS(), storage.FailNth(n))
		rep, err := Run(context.Background(), fx.units, &fakeProc{fp: "fp1"}, shardOpt(2, ffs))
		if err == nil && ffs.Ops() < n && n > total-4 {
			continue // ended before operation n (see TestRunFaults)
		}
		if err == nil {
			if rep.SuccessWritten && slices.ContainsFunc(ffs.Log(), func(l string) bool {
				return warningOnly(l) && strings.HasSuffix(l, storage.ErrInjected.Error())
			}) {
				continue // the stale-file cleanup failed: only a warning
			}
			t.Fatalf("op %d: fault not reported\n%s", n, strings.Join(ffs.Log(), "\n"))
		}
		if code := ExitCode(rep, err); code != ExitIO {
			t.Fatalf("op %d: exit %d for %v", n, code, err)
		}
		fx.checkOutputs(t, "fp1")
		if rep, err := Run(context.Background(), fx.units, &fakeProc{fp: "fp1"}, shardOpt(2, nil)); err != nil {
			t.Fatalf("op %d: rerun %+v %v", n, rep, err)
		}
		if _, err := os.Stat(filepath.Join(fx.out, SuccessName)); err != nil {
			t.Fatalf("op %d: no _SUCCESS after the rerun: %v", n, err)
		}
		fx.checkOutputs(t, "fp1")
		if _, hidden := listOut(t, fx.out); len(hidden) != 0 {
			t.Fatalf("op %d: temp files after rerun: %v", n, hidden)
		}
	}
}

// TestBudgetHold: held bytes shrink what requests see, so a request for more
// than the budget is reduced to what is left and proceeds.
func TestBudgetHold(t *testing.T) {
	b := NewBudget(100)
	if b.Hold(100) || b.Size() != 100 {
		t.Fatal("held the whole budget")
	}
	if !b.Hold(30) || b.Size() != 70 {
		t.Fatalf("Hold(30): size %d, want 70", b.Size())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := b.Acquire(ctx, 1000); err != nil { // reduced to 70, all that is left
		t.Fatalf("oversized request: %v", err)
	}
	if b.TryAcquire(1) {
		t.Fatal("acquired beyond the budget")
	}
	b.Release(1000)
	if !b.TryAcquire(70) {
		t.Fatal("released bytes not available")
	}
}
