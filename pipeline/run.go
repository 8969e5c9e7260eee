package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/contextualize/contextualize/io/storage"
	"golang.org/x/sync/errgroup"
)

// Result is what a Processor reports for one unit.
type Result struct {
	Rows      int64 // rows written (= rows read: outputs keep every row)
	Sequences int64
}

// Processor turns one input file into one output stream. It must write the
// whole output to w and return nil, or return an error (then w is thrown
// away; nothing becomes visible). It should report rows as it goes with
// TrackerFrom(ctx).AddRows, parallelize with Ordered using
// ResourcesFrom(ctx), and return promptly with ctx.Err() when ctx is done.
// Data errors should be marked with InputError (or carry an
// InputError() bool method) so they count as a failed input (exit 3).
type Processor interface {
	Process(ctx context.Context, u Unit, w io.Writer) (Result, error)
}

// ProcessorFunc adapts a function to Processor.
type ProcessorFunc func(ctx context.Context, u Unit, w io.Writer) (Result, error)

// Process calls f.
func (f ProcessorFunc) Process(ctx context.Context, u Unit, w io.Writer) (Result, error) {
	return f(ctx, u, w)
}

// Options configure Run and Plan.
type Options struct {
	Workers     int   // parallel workers; <= 0: GOMAXPROCS
	MemoryLimit int64 // bytes in flight across all files; <= 0: unlimited
	// Budget, when set, is used instead of NewBudget(MemoryLimit) (lets
	// the caller share it with other work).
	Budget *Budget

	ShardIndex, ShardCount int // ShardCount <= 1: unsharded

	Overwrite bool // replace existing outputs
	FailFast  bool // stop at the first failed unit

	// Fingerprint of the parameters, stored in every output. An existing
	// output is skipped when ReadFingerprint returns exactly Fingerprint
	// (non-empty), and is an error otherwise unless Overwrite.
	Fingerprint     string
	ReadFingerprint func(path string) (string, error)
	// ReadRows, optional, returns the row count of an existing output, for
	// the manifest entries of skipped units whose record does not say it
	// (-1 when absent or failing).
	ReadRows func(path string) (int64, error)

	Command string         // "attend", "smooth": recorded in manifests
	Version string         // tool version: recorded in manifests
	Params  map[string]any // parameters: recorded in manifests

	OutDir string     // -o; required
	FS     storage.FS // nil: storage.Default; the filesystem Store writes through when Store is nil
	// Store, nil: storage.NewRouter(storage.NewBatchLocal(FS, OutDir))
	// (local paths through FS, each output directory synced once before
	// the manifests record its files; URLs to object storage). Inputs,
	// outputs, manifests, locks and temp files all go through it. A Store
	// that implements storage.DirSyncer has SyncDirs called before every
	// manifest write.
	Store storage.Storage
	// SideOutputs, optional, names the other files written for a unit
	// (attention weights), whose stale temp files the run also removes.
	SideOutputs func(Unit) []string

	Logger           *slog.Logger  // nil: discard
	Stderr           io.Writer     // progress bars; nil: os.Stderr
	LogOutput        *LogOutput    // optional: the log handler's writer, sent above the bars while they show
	Progress         ProgressMode  // "" = auto
	ProgressInterval time.Duration // log records period; 0: 5 s
	Quiet            bool          // no progress at all

	// InputRows, optional, reads an input's row count from its footer:
	// progress then shows totals, percentages and an ETA.
	InputRows func(path string) (int64, error)

	now        func() time.Time // tests
	flushEvery time.Duration    // shard manifest rewrites while running; 0: 1 s
}

func (o *Options) defaults() error {
	if o.OutDir == "" {
		return Usage(errors.New("no output directory given (-o, --output)"))
	}
	if o.ShardCount <= 1 && o.ShardIndex == 0 {
		o.ShardCount = 1
	}
	if err := ValidateShard(o.ShardIndex, o.ShardCount); err != nil {
		return err
	}
	switch o.Progress {
	case "":
		o.Progress = ProgressAuto
	case ProgressAuto, ProgressAlways, ProgressNever:
	default:
		return Usage(fmt.Errorf("--progress %q: want auto, always or never", o.Progress))
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.FS == nil {
		o.FS = storage.Default
	}
	if o.Store == nil {
		o.Store = storage.NewRouter(storage.NewBatchLocal(o.FS, o.OutDir))
	}
	if o.flushEvery <= 0 {
		o.flushEvery = time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Stderr == nil {
		o.Stderr = os.Stderr
	}
	if o.Budget == nil {
		o.Budget = NewBudget(o.MemoryLimit)
	}
	if o.now == nil {
		o.now = time.Now
	}
	return nil
}

// Resources are what a Processor shares with the rest of the run.
type Resources struct {
	Workers int     // goroutines for Ordered inside one file
	Budget  *Budget // bytes in flight, shared by all files
}

type resourcesKey struct{}

// WithResources returns ctx carrying r (Run does this for each unit).
func WithResources(ctx context.Context, r Resources) context.Context {
	return context.WithValue(ctx, resourcesKey{}, r)
}

// ResourcesFrom returns the Resources in ctx; without any, GOMAXPROCS
// workers and no byte limit.
func ResourcesFrom(ctx context.Context) Resources {
	r, _ := ctx.Value(resourcesKey{}).(Resources)
	if r.Workers <= 0 {
		r.Workers = runtime.GOMAXPROCS(0)
	}
	return r
}

// Status of a unit in a Report.
type Status string

// Unit statuses.
const (
	StatusNotRun   Status = "not run"  // not attempted (an earlier check failed)
	StatusWritten  Status = "written"  // processed and committed
	StatusSkipped  Status = "skipped"  // output up to date
	StatusFailed   Status = "failed"   // see Err
	StatusCanceled Status = "canceled" // interrupted or stopped by --fail-fast
)

// UnitReport is the outcome of one selected unit.
type UnitReport struct {
	Unit
	Action    Action
	Status    Status
	Rows      int64 // -1: unknown (skipped, not on record, without Options.ReadRows)
	Sequences int64
	Bytes     int64
	Duration  time.Duration
	Err       error
	InputID   *storage.Identity // the input's identity, taken before it was read
	OutInfo   storage.Info      // the output as committed (or found up to date)
}

// Report is the outcome of Run.
type Report struct {
	ShardIndex, ShardCount int
	Total                  int          // units in the whole set (all shards)
	Units                  []UnitReport // this shard's units, in order
	Started, Finished      time.Time
	ShardManifest          string   // path of _shards/I-of-N.json written complete, if any
	SuccessWritten         bool     // this process wrote OutDir/_SUCCESS
	Orphans                []Orphan // outputs whose input is gone: listed, never deleted
}

func (r *Report) count(s Status) int {
	if r == nil {
		return 0
	}
	n := 0
	for _, u := range r.Units {
		if u.Status == s {
			n++
		}
	}
	return n
}

// Written returns the number of units processed and committed.
func (r *Report) Written() int { return r.count(StatusWritten) }

// Skipped returns the number of units whose output was up to date.
func (r *Report) Skipped() int { return r.count(StatusSkipped) }

// Failed returns the number of failed units.
func (r *Report) Failed() int { return r.count(StatusFailed) }

// Canceled returns the number of units interrupted or stopped by
// --fail-fast.
func (r *Report) Canceled() int { return r.count(StatusCanceled) }

// Rows returns the rows written by this run.
func (r *Report) Rows() int64 {
	if r == nil {
		return 0
	}
	var n int64
	for _, u := range r.Units {
		if u.Status == StatusWritten {
			n += u.Rows
		}
	}
	return n
}

// Names of the manifests in the output directory.
const (
	SuccessName = "_SUCCESS"
	ShardsDir   = "_shards"
)

// ShardManifestPath returns OutDir/_shards/I-of-N.json.
func ShardManifestPath(outDir string, index, count int) string {
	return storage.Join(outDir, ShardsDir, fmt.Sprintf("%d-of-%d.json", index, count))
}

// LockPath returns OutDir/_shards/I-of-N.lock, the lock one run holds on
// its output location and shard.
func LockPath(outDir string, index, count int) string {
	return storage.Join(outDir, ShardsDir, fmt.Sprintf("%d-of-%d.lock", index, count))
}

func successPath(opt *Options) string { return storage.Join(opt.OutDir, SuccessName) }

// Run processes this shard's units; see the package documentation for the
// order of operations, the skip rules, the manifests and the errors.
func Run(ctx context.Context, units []Unit, p Processor, opt Options) (*Report, error) {
	if err := opt.defaults(); err != nil {
		return nil, err
	}
	log := opt.Logger
	sel := Select(units, opt.ShardIndex, opt.ShardCount)
	rep := &Report{
		ShardIndex: opt.ShardIndex, ShardCount: opt.ShardCount,
		Total: len(units), Started: opt.now(),
		Units: make([]UnitReport, len(sel)),
	}
	finish := func(err error) (*Report, error) {
		rep.Finished = opt.now()
		return rep, err
	}

	// 1. One run at a time per output location and shard.
	lockPath := LockPath(opt.OutDir, opt.ShardIndex, opt.ShardCount)
	lock, err := opt.Store.Lock(ctx, lockPath)
	switch {
	case errors.Is(err, storage.ErrLocked):
		return finish(IOError(fmt.Errorf("another run is writing %s (shard %d of %d): %w", opt.OutDir, opt.ShardIndex, opt.ShardCount, err)))
	case err != nil:
		// A missing bucket or refused credentials stay usage errors.
		return finish(classifyStorage(fmt.Errorf("taking the lock of %s (shard %d of %d): %w", opt.OutDir, opt.ShardIndex, opt.ShardCount, err)))
	}
	defer func() {
		if err := lock.Release(); err != nil {
			log.Warn("releasing the lock", "path", lockPath, "err", err)
		}
	}()

	// 2. Decide every unit before touching anything: a differing
	// fingerprint is a configuration error, found before any work.
	recs, err := loadRecords(ctx, &opt)
	if err != nil {
		return finish(err)
	}
	dc := &decider{ctx: ctx, opt: &opt, recs: recs}
	var differs []string
	work := 0
	for i, u := range sel {
		ur := &rep.Units[i]
		ur.Unit, ur.Status, ur.Rows = u, StatusNotRun, 0
		d, err := dc.decide(u)
		ur.Action = d.Action
		switch {
		case err != nil:
			ur.Status, ur.Err = StatusFailed, err
		case d.Action == ActionInvalid:
			ur.Status, ur.Err = StatusFailed, InputError(fmt.Errorf("input %s: %w", u.Input, u.Err))
			log.Error("failed", "input", u.Input, "class", ClassInput.String(), "err", ur.Err)
		case d.Action == ActionDiffers:
			ur.Status = StatusFailed
			ur.Err = Usage(fmt.Errorf("output %s exists with other parameters (%s); use --overwrite to replace it", u.Output, d.Detail))
			differs = append(differs, u.Output)
		case d.Action == ActionSkip:
			ur.Status, ur.InputID, ur.OutInfo = StatusSkipped, d.ID, d.Out
			ur.Rows, ur.Bytes = d.Rec.out.Rows, d.Out.Size
			if ur.Rows < 0 && opt.ReadRows != nil {
				if n, err := opt.ReadRows(u.Output); err == nil {
					ur.Rows = n
				}
			}
		case d.Action == ActionRecompute:
			log.Info("recomputing: its input is not the one on record", "output", u.Output, "why", d.Detail)
			work++
		default:
			work++
		}
	}
	if len(differs) > 0 {
		list := differs
		if len(list) > 5 {
			list = append(list[:5:5], fmt.Sprintf("and %d more", len(differs)-5))
		}
		return finish(Usage(fmt.Errorf("%d existing outputs were written with other parameters, use --overwrite to replace them: %s",
			len(differs), strings.Join(list, ", "))))
	}
	orphans, err := recs.orphans(ctx, &opt, units)
	if err != nil {
		return finish(err)
	}
	rep.Orphans = orphans
	for _, o := range orphans {
		log.Warn("output whose input is gone: kept, listed in the manifests", "output", o.Output.Path, "input", o.Input.Path)
	}

	// 3. Remove the temp files killed runs left for this shard's targets,
	// beside them only, never an input, never one a live writer holds.
	cleanTemps(ctx, &opt, sel)

	// 4. Record the up-to-date outputs; a run that changes outputs first
	// withdraws the claim that the directory is complete.
	jr, err := newJournal(&opt, rep, units, orphans)
	if err != nil {
		return finish(err)
	}
	for i := range rep.Units {
		if ur := &rep.Units[i]; ur.Status == StatusSkipped {
			jr.add(ctx, ur, false)
			log.Info("skipped: up to date", "output", ur.Output)
		}
	}
	if work > 0 {
		if err := jr.write(ctx, false); err != nil {
			return finish(IOError(err))
		}
		if err := opt.Store.Remove(ctx, successPath(&opt)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return finish(IOError(fmt.Errorf("removing old %s before rewriting outputs: %w", successPath(&opt), err)))
		}
	}

	// 5. Process.
	pr := newProgress(&opt, rep.Units)
	for range rep.Skipped() {
		pr.skipFile()
	}
	// failFast cancels the others before the failed unit gives its place
	// up, so that no unit starts after it.
	runCtx, failFast := context.WithCancel(ctx)
	defer failFast()
	g, gctx := errgroup.WithContext(runCtx)
	// min(Workers, work) units compute at once; a unit that has computed
	// gives its place to the next while it waits for its commit (fsync,
	// rename), and up to commitsPerWorker such units per place may wait.
	places := max(1, min(opt.Workers, work))
	computing := make(chan struct{}, places)
	alive := make(chan struct{}, places*(1+commitsPerWorker))
	res := Resources{Workers: opt.Workers, Budget: opt.Budget}
	for i := range rep.Units {
		ur := &rep.Units[i]
		if ur.Status != StatusNotRun {
			continue
		}
		if err := acquire(gctx, alive); err != nil {
			ur.Status, ur.Err = StatusCanceled, err
			continue
		}
		if err := acquire(gctx, computing); err != nil {
			<-alive
			ur.Status, ur.Err = StatusCanceled, err
			continue
		}
		g.Go(func() error {
			defer func() { <-alive }()
			computed := sync.OnceFunc(func() { <-computing })
			defer computed()
			runUnit(gctx, ur, p, &opt, res, pr, computed)
			if ur.Status == StatusWritten {
				jr.add(ctx, ur, true)
			}
			if ur.Status == StatusFailed && opt.FailFast {
				failFast()
				return ur.Err
			}
			return nil
		})
	}
	firstErr := g.Wait()
	pr.finish()

	if err := ctx.Err(); err != nil {
		rep, _ = finish(nil)
		if jerr := jr.write(ctx, false); jerr != nil {
			log.Warn("could not record the outputs written before the interruption", "err", jerr)
		}
		log.Warn("interrupted", "written", rep.Written(), "canceled", rep.Canceled(), "failed", rep.Failed())
		return rep, fmt.Errorf("interrupted after writing %d of %d files: %w", rep.Written(), len(sel), err)
	}
	rep, _ = finish(nil)
	log.Info("files done", "written", rep.Written(), "skipped", rep.Skipped(), "failed", rep.Failed(),
		"canceled", rep.Canceled(), "rows", rep.Rows(), "seconds", rep.Finished.Sub(rep.Started).Seconds())
	if rep.Failed() > 0 {
		if jerr := jr.write(ctx, false); jerr != nil {
			log.Warn("could not record the outputs written", "err", jerr)
		}
		if opt.FailFast && firstErr != nil {
			return rep, firstErr
		}
		var first error
		for _, u := range rep.Units {
			if u.Status == StatusFailed {
				first = u.Err
				break
			}
		}
		return rep, &Error{Class: Classify(first), Err: fmt.Errorf("%d of %d inputs failed; first: %w", rep.Failed(), len(sel), first)}
	}

	// 6. Manifests, last, and only by the lock's holder: a lease (object
	// storage) taken over by another run after this one stalled past its
	// lifetime claims nothing more.
	if l, ok := lock.(interface{ Lost() error }); ok {
		if err := l.Lost(); err != nil {
			rep.Finished = opt.now()
			return rep, IOError(fmt.Errorf("not writing the manifests of %s: %w", opt.OutDir, err))
		}
	}
	if err := jr.finish(ctx); err != nil {
		rep.Finished = opt.now()
		return rep, IOError(fmt.Errorf("writing manifest: %w", err))
	}
	rep.Finished = opt.now()
	return rep, nil
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return filepath.Clean(p)
}

// cleanTemps removes stale temp files of this shard's outputs, side
// outputs and manifests. A failure is only a warning: the files are hidden
// and the next run tries again.
func cleanTemps(ctx context.Context, opt *Options, sel []Unit) {
	targets := []string{successPath(opt), ShardManifestPath(opt.OutDir, opt.ShardIndex, opt.ShardCount)}
	inputs := map[string]bool{}
	for _, u := range sel {
		targets = append(targets, u.Output)
		if opt.SideOutputs != nil {
			targets = append(targets, opt.SideOutputs(u)...)
		}
		inputs[absPath(u.Input)] = true
	}
	removed, err := opt.Store.CleanTemps(ctx, targets, func(p string) bool { return inputs[absPath(p)] })
	for _, r := range removed {
		opt.Logger.Info("removed stale temp file", "path", r)
	}
	if err != nil {
		opt.Logger.Warn("could not remove stale temp files", "dir", opt.OutDir, "err", err)
	}
}

// commitsPerWorker is how many units per worker may wait for their
// commit while the next ones compute. A commit is mostly waiting on the
// disk (an fsync of a small file took 1.7 ms on this VM's ext4, longer
// than computing it): over 2,000 small hive partitions the workers spent
// half their time waiting. Concurrent fsyncs share the filesystem's journal
// commits, so overlapping them costs the disk little. A waiting unit holds
// an open file and no budget.
const commitsPerWorker = 3

// acquire takes a place in sem, or fails when ctx ends first.
func acquire(ctx context.Context, sem chan struct{}) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// writeBuffer is the size of each buffer of a Processor's writes to its
// output file (asyncWriter).
const writeBuffer = 1 << 20

// runUnit processes one unit into an atomic file and fills ur. It calls
// computed when the Processor has succeeded, before the commit (the
// caller's deferred call covers the other paths).
func runUnit(ctx context.Context, ur *UnitReport, p Processor, opt *Options, res Resources, pr *progress, computed func()) {
	start := time.Now()
	t := pr.startFile(ur.Unit)
	defer func() {
		if r := recover(); r != nil {
			ur.Status = StatusFailed
			ur.Err = fmt.Errorf("%s: internal error: panic: %v\n%s", ur.Input, r, debug.Stack())
		}
		ur.Duration = time.Since(start)
		pr.endFile(t, ur.Status == StatusWritten)
		switch ur.Status {
		case StatusWritten:
			opt.Logger.Info("wrote", "output", ur.Output, "rows", ur.Rows, "sequences", ur.Sequences,
				"bytes", ur.Bytes, "seconds", ur.Duration.Seconds())
		case StatusFailed:
			opt.Logger.Error("failed", "input", ur.Input, "class", Classify(ur.Err).String(), "err", ur.Err)
		}
	}()
	fail := func(err error) {
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			ur.Status, ur.Err = StatusCanceled, err
			return
		}
		if !strings.Contains(err.Error(), ur.Input) {
			err = &wrapped{msg: ur.Input + ": " + err.Error(), err: err}
		}
		ur.Status, ur.Err = StatusFailed, err
	}
	if err := ctx.Err(); err != nil {
		ur.Status, ur.Err = StatusCanceled, err
		return
	}
	// The input's identity is taken before it is read: if it changes while
	// it is read, the record is of the older version and the next run
	// recomputes (never the reverse, which would keep a stale output).
	if id, err := storage.IdentifyName(ctx, opt.Store, ur.Input); err == nil {
		ur.InputID = &id
	}
	af, err := opt.Store.Create(ctx, ur.Output)
	if err != nil {
		fail(IOError(fmt.Errorf("creating output: %w", err)))
		return
	}
	defer af.Abort()
	cctx := WithResources(WithTracker(ctx, t), res)
	aw := newAsyncWriter(af)
	defer aw.close(false, true) // a panic: stop writing before the abort, leave the buffers to the collector
	r, err := p.Process(cctx, ur.Unit, aw)
	if ferr := aw.close(err == nil, false); ferr != nil && err == nil {
		err = IOError(fmt.Errorf("writing %s: %w", ur.Output, ferr))
	}
	if err != nil {
		if aerr := af.Abort(); aerr != nil {
			opt.Logger.Warn("could not remove the temp file", "output", ur.Output, "err", aerr)
		}
		fail(err)
		return
	}
	computed()
	if err := af.Commit(); err != nil {
		fail(IOError(fmt.Errorf("committing %s: %w", ur.Output, err)))
		return
	}
	// The output's time (or ETag) ties the manifest record to this very
	// file; without it the next run could not tell it is up to date.
	info, err := opt.Store.Stat(ctx, ur.Output)
	if err != nil {
		fail(IOError(fmt.Errorf("%s is committed but could not be examined: %w", ur.Output, err)))
		return
	}
	ur.Status, ur.Rows, ur.Sequences, ur.Bytes, ur.OutInfo = StatusWritten, r.Rows, r.Sequences, af.Size(), info
}

// wrapped prefixes an error's message without changing its chain.
type wrapped struct {
	msg string
	err error
}

func (w *wrapped) Error() string { return w.msg }
func (w *wrapped) Unwrap() error { return w.err }
