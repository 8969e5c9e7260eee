package pipeline

import (
	"context"
	"io"
	"log/slog"
	"math"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// ProgressMode is the --progress flag.
type ProgressMode string

// Progress modes.
const (
	// ProgressAuto draws bars when the progress output is a terminal and
	// logs a progress record every ProgressInterval otherwise.
	ProgressAuto ProgressMode = "auto"
	// ProgressAlways draws bars even when the output is not a terminal.
	ProgressAlways ProgressMode = "always"
	// ProgressNever never draws bars; progress log records are still
	// written (Options.Quiet silences those too).
	ProgressNever ProgressMode = "never"
)

// DefaultProgressInterval is the period of progress log records.
const DefaultProgressInterval = 5 * time.Second

// Tracker receives progress from a Processor. It is safe for concurrent use.
type Tracker interface {
	// AddRows reports n more rows of the current file written.
	AddRows(n int64)
}

type trackerKey struct{}

type nopTracker struct{}

func (nopTracker) AddRows(int64) {}

// WithTracker returns ctx carrying t (Run does this for each unit; tests of
// processors may use it).
func WithTracker(ctx context.Context, t Tracker) context.Context {
	return context.WithValue(ctx, trackerKey{}, t)
}

// TrackerFrom returns the Tracker in ctx, or one that discards everything.
// A Processor calls pipeline.TrackerFrom(ctx).AddRows(n) as it writes.
func TrackerFrom(ctx context.Context) Tracker {
	if t, ok := ctx.Value(trackerKey{}).(Tracker); ok && t != nil {
		return t
	}
	return nopTracker{}
}

// isTerminal reports whether w is a character device (a terminal), without
// golang.org/x/term.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// progress reports a run's progress as bars or log records. Row totals
// come from the inputs' footers (Options.InputRows), read on a goroutine
// of their own so that the first file starts at once: until they are all
// read, the total grows and no ETA is given.
type progress struct {
	total     int
	done      atomic.Int64
	rows      atomic.Int64
	rowsTotal atomic.Int64 // sum of the footers read so far
	totalDone atomic.Bool  // every footer read: rowsTotal is final
	fileRows  sync.Map     // input path -> rows, from its footer
	start     time.Time
	logger    *slog.Logger
	logOut    *LogOutput // redirected to p while bars show
	logPrev   io.Writer  // where logOut wrote before
	p         *mpb.Progress
	files     *mpb.Bar
	rowsBar   *mpb.Bar
	stop      chan struct{}
	wg        sync.WaitGroup
	disabled  bool
}

// newProgress starts reporting on a run of units: those with status
// StatusNotRun are the ones to process.
func newProgress(opt *Options, units []UnitReport) *progress {
	pr := &progress{total: len(units), start: time.Now(), logger: opt.Logger, stop: make(chan struct{})}
	if opt.Quiet || len(units) == 0 {
		pr.disabled = true
		return pr
	}
	var todo []string
	for _, u := range units {
		if u.Status == StatusNotRun && u.Action != ActionSkip {
			todo = append(todo, u.Input)
		}
	}
	out := opt.Stderr
	bars := opt.Progress == ProgressAlways || (opt.Progress != ProgressNever && isTerminal(out))
	if bars {
		pr.p = mpb.New(
			mpb.WithOutput(out),
			mpb.WithWidth(40),
			mpb.ContainerOptional(mpb.WithAutoRefresh(), opt.Progress == ProgressAlways),
		)
		if opt.LogOutput != nil {
			pr.logOut, pr.logPrev = opt.LogOutput, opt.LogOutput.set(pr.p)
		}
		pr.files = pr.p.AddBar(int64(len(units)),
			mpb.PrependDecorators(decor.Name("files ", decor.WCSyncSpaceR), decor.CountersNoUnit("%d / %d", decor.WCSyncWidth)),
			mpb.AppendDecorators(decor.Elapsed(decor.ET_STYLE_GO)),
		)
		if opt.InputRows != nil && len(todo) > 0 {
			pr.rowsBar = pr.p.AddBar(0,
				mpb.PrependDecorators(decor.Name("rows ", decor.WCSyncSpaceR), decor.CountersNoUnit("%d / %d", decor.WCSyncWidth)),
				mpb.AppendDecorators(decor.Percentage(decor.WCSyncSpace), decor.Name(" "),
					decor.AverageSpeed(nil, "%.0f rows/s"), decor.Name(" ETA "), decor.AverageETA(decor.ET_STYLE_GO)),
			)
		}
	}
	if opt.InputRows != nil && len(todo) > 0 {
		pr.wg.Add(1)
		go pr.countRows(opt.InputRows, todo)
	} else {
		pr.totalDone.Store(opt.InputRows != nil)
	}
	if bars {
		return pr
	}
	interval := opt.ProgressInterval
	if interval <= 0 {
		interval = DefaultProgressInterval
	}
	pr.wg.Add(1)
	go func() {
		defer pr.wg.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-pr.stop:
				return
			case <-t.C:
				pr.log()
			}
		}
	}()
	return pr
}

// countRows reads the footers of the inputs to process and adds their rows
// to the totals; a footer that cannot be read counts nothing (the file
// will fail and say why).
func (pr *progress) countRows(rows func(string) (int64, error), inputs []string) {
	defer pr.wg.Done()
	for _, in := range inputs {
		select {
		case <-pr.stop:
			return
		default:
		}
		n, err := rows(in)
		if err != nil || n < 0 {
			continue
		}
		pr.fileRows.Store(in, n)
		total := pr.rowsTotal.Add(n)
		if pr.rowsBar != nil {
			pr.rowsBar.SetTotal(total, false)
		}
	}
	pr.totalDone.Store(true)
}

func (pr *progress) log() {
	el := time.Since(pr.start).Seconds()
	rows := pr.rows.Load()
	rate := 0.0
	if el > 0 {
		rate = float64(rows) / el
	}
	attrs := []any{"files_done", pr.done.Load(), "files_total", pr.total, "rows", rows, "rows_per_sec", int64(rate)}
	if total := pr.rowsTotal.Load(); pr.totalDone.Load() && total > 0 {
		attrs = append(attrs, "rows_total", total, "percent", math.Round(1000*float64(rows)/float64(total))/10)
		if rate > 0 {
			attrs = append(attrs, "eta_seconds", math.Round(float64(max(total-rows, 0))/rate))
		}
	}
	pr.logger.Info("progress", attrs...)
}

// fileTracker is the Tracker of one unit.
type fileTracker struct {
	pr  *progress
	bar *mpb.Bar
}

func (t *fileTracker) AddRows(n int64) {
	t.pr.rows.Add(n)
	if t.bar != nil {
		t.bar.IncrInt64(n)
	}
	if t.pr.rowsBar != nil {
		t.pr.rowsBar.IncrInt64(n)
	}
}

// startFile returns the tracker of a unit being processed.
func (pr *progress) startFile(u Unit) *fileTracker {
	t := &fileTracker{pr: pr}
	if pr.p != nil {
		name := u.Rel
		if rows, ok := pr.fileRows.Load(u.Input); ok {
			// The footer's row count: the bar shows a percentage.
			t.bar = pr.p.New(rows.(int64), mpb.NopStyle(),
				mpb.BarRemoveOnComplete(),
				mpb.PrependDecorators(decor.Name(name, decor.WCSyncSpaceR)),
				mpb.AppendDecorators(decor.CountersNoUnit("%d / %d rows"), decor.Name(" "), decor.Percentage(), decor.Name(" "), decor.AverageSpeed(nil, "%.0f rows/s")),
			)
			return t
		}
		// Total unknown (0) until the file is done; the bar shows a count.
		t.bar = pr.p.New(0, mpb.NopStyle(),
			mpb.BarRemoveOnComplete(),
			mpb.PrependDecorators(decor.Name(name, decor.WCSyncSpaceR)),
			mpb.AppendDecorators(decor.CurrentNoUnit("%d rows"), decor.Name(" "), decor.AverageSpeed(nil, "%.0f rows/s")),
		)
	}
	return t
}

// endFile marks a unit finished (in any state).
func (pr *progress) endFile(t *fileTracker, ok bool) {
	pr.done.Add(1)
	if t != nil && t.bar != nil {
		if ok {
			t.bar.SetTotal(-1, true)
		} else {
			t.bar.Abort(true)
		}
	}
	if pr.files != nil {
		pr.files.Increment()
	}
}

// skipFile counts a unit that needed no work.
func (pr *progress) skipFile() { pr.endFile(nil, true) }

// finish stops the bars, the ticker and the footer reader; the final
// record is Run's summary.
func (pr *progress) finish() {
	if pr.disabled {
		return
	}
	close(pr.stop)
	pr.wg.Wait()
	if pr.p != nil {
		if pr.rowsBar != nil && !pr.rowsBar.Completed() {
			if pr.totalDone.Load() && pr.rows.Load() >= pr.rowsTotal.Load() {
				pr.rowsBar.SetTotal(-1, true)
			} else {
				pr.rowsBar.Abort(false)
			}
		}
		if pr.files != nil && !pr.files.Completed() {
			pr.files.Abort(false)
		}
		pr.p.Wait()
		if pr.logOut != nil {
			pr.logOut.set(pr.logPrev)
		}
	}
}
