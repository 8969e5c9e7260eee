package job

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"

	"github.com/contextualize/contextualize/io/parquetio"
	"github.com/contextualize/contextualize/io/storage"
	"github.com/contextualize/contextualize/pipeline"
	"github.com/contextualize/contextualize/schemas"
)

// Computer is the math applied to one sequence at a time. src and dst hold
// n elements of width d, element-major; t holds the n order values as
// int64 keys (see keys.go: the column's own units; decimals unscaled;
// uint64 offset by 2^63; floats as schemas.FloatKey, decoded by
// FloatTimes) when the computer asked for them, else nil.
// dst may be src itself (the job computes in place to halve memory).
// Implementations must be safe for concurrent use.
type Computer interface {
	Compute32(dst, src []float32, n, d int, t []int64)
	Compute64(dst, src []float64, n, d int, t []int64)
}

// Binder makes the Computer for one file once its layout and vector width
// are known. It returns a *schemas.Error when the file does not fit (for
// example d differs from the weights').
type Binder func(det schemas.Detected, d int) (Computer, error)

// Observer sees every sequence of a file after its output is computed, in
// input order (for a file whose sequences are interleaved: in the order of
// their first rows, partition by partition when it spills), with its values in order-column order (x holds n×d values
// as float64). Finish is called once: ok reports whether the file's main
// output succeeded. Used for side outputs such as attention weights.
type Observer interface {
	Sequence(key string, x []float64, n, d int) error
	Finish(ok bool) error
}

// ResultObserver is an Observer that also wants each sequence's results:
// Result is called instead of Sequence. Used to draw what a run does.
type ResultObserver interface {
	Observer
	Result(r Result) error
}

// Result is one computed sequence, in order-column order (the order the
// computer saw it in).
type Result struct {
	Key  string
	N, D int
	In   []float64 // the n×d input values
	Out  []float64 // the n×d results, exactly as the output file gets them
	// Order holds the n order values (long layout) or times (nested, when
	// the run reads them), sorted; nil without one.
	Order []int64
}

// Spec is everything needed to process files of one run.
type Spec struct {
	Schema    schemas.Options
	Bind      Binder
	NeedsTime bool // the computer wants order values (bandwidth smoothing)
	Writer    parquetio.WriterOptions
	Workers   int
	Budget    *pipeline.Budget
	// PageLimit, when > 0, is --memory-limit: a footer or page declaring
	// more bytes is bad input (parquetio.OpenOptions.MemoryLimit).
	PageLimit int64
	// Observe, optional, makes the Observer of a file.
	Observe func(u pipeline.Unit, det schemas.Detected) (Observer, error)
	// SegmentElems is the target number of elements per work item; 0 means
	// a default that keeps items near a few MB.
	SegmentElems int
	// SegmentFloats, when > 0, is the most floats of a segment, the unit
	// in which row groups are read and written (a row longer than that is
	// a segment alone); 0 derives it from the budget and the workers.
	SegmentFloats int
	// StreamFloats, when > 0, is the size (n×d floats) from which a
	// sequence that spans segments streams through a StreamComputer
	// instead of being gathered (longseq.go); 0: 4 Mi floats, or less so
	// that a gathered copy never takes more than 1/16 of the budget.
	StreamFloats int
	// only, set by Collect, picks the sequences to compute and observe.
	only func(key string, n int) bool
	// TempDir is where files whose sequences are interleaved spill when
	// grouping them does not fit the budget ("": the OS temp dir).
	TempDir string
}

// Process reads u.Input, computes every sequence and writes the output to w.
// Bad data (a corrupt file, a ragged vector) and a file that does not fit
// the run's columns or weights come back as input errors.
func (s *Spec) Process(ctx context.Context, u pipeline.Unit, w io.Writer) (pipeline.Result, error) {
	res, err := s.process(ctx, u, w)
	return res, classify(err)
}

func (s *Spec) process(ctx context.Context, u pipeline.Unit, w io.Writer) (pipeline.Result, error) {
	f, err := openInput(ctx, u.Input, s.PageLimit)
	if err != nil {
		if isFileSystem(err) {
			return pipeline.Result{}, err
		}
		return pipeline.Result{}, pipeline.InputError(err)
	}
	defer f.Close()
	for _, w := range f.Warnings() {
		slog.Warn(w)
	}
	det, err := schemas.Detect(u.Input, f.Columns(), s.Schema)
	if err != nil {
		return pipeline.Result{}, err
	}
	if s.NeedsTime {
		if err := requireTime(det); err != nil {
			return pipeline.Result{}, err
		}
	}
	opts := s.Writer
	opts.ValueColumn = det.Value.Name
	opts.KeyColumns = keyColumns(det)
	if _, err := parquetio.OutputType(det.Value, opts.OutputType); err != nil { // this file fails alone (exit 3)
		return pipeline.Result{}, &schemas.Error{File: det.File, Column: det.Value.Name,
			Expected: fmt.Sprintf("values that output type %s widens or keeps (float16 < float32 < float64)", opts.OutputType), Found: err.Error()}
	}
	wr, err := parquetio.NewWriter(w, f, opts)
	if err != nil {
		return pipeline.Result{}, fmt.Errorf("creating the output for %s: %w", u.Input, err)
	}
	r := &run{spec: s, file: f, det: det, writer: wr, tracker: pipeline.TrackerFrom(ctx)}
	if s.Observe != nil {
		if r.observer, err = s.Observe(u, det); err != nil {
			return pipeline.Result{}, err
		}
	}
	retuneHeapLimit()
	grouping, runs, err := needsGrouping(f, det, s.Workers)
	if err == nil {
		r.idRuns = runs
		if grouping {
			err = r.executeGrouped(ctx)
		} else {
			err = r.execute(ctx)
		}
	}
	if err == nil {
		if err = wr.Close(); err != nil {
			err = fmt.Errorf("finishing the output for %s: %w", u.Input, err)
		}
	}
	if r.observer != nil {
		if ferr := r.observer.Finish(err == nil); err == nil {
			err = ferr
		}
	}
	if err != nil {
		return pipeline.Result{}, err
	}
	return pipeline.Result{Rows: f.NumRows(), Sequences: r.sequences}, nil
}

// openInput opens an input through io/storage (a local path or an
// object-storage URL) and reads its footer with ranged reads; limit is the
// largest page or footer accepted (0: no limit).
func openInput(ctx context.Context, name string, limit int64) (*parquetio.File, error) {
	r, err := storage.For(name).Open(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("opening parquet file: %w", err)
	}
	return parquetio.OpenReaderAtWith(name, r, r.Info().Size, parquetio.OpenOptions{MemoryLimit: limit})
}

func requireTime(det schemas.Detected) error {
	if det.Layout == schemas.Long && det.Order == nil {
		return &schemas.Error{File: det.File, Expected: "an order column (position or timestamp, or --order-column) for --bandwidth", Found: "none"}
	}
	if det.Layout == schemas.Nested && det.Time == nil {
		return &schemas.Error{File: det.File, Expected: "a time column (--time-column, a list of times) for --bandwidth", Found: "none"}
	}
	return nil
}

// classify marks data errors and schema mismatches (a file whose layout,
// keys or d do not fit the run) as input errors: a problem with one file
// fails that input (exit 3) and the others are written. Problems no input
// could satisfy are found before any file is read, as usage errors.
func classify(err error) error {
	var de *parquetio.DataError
	var se *schemas.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &se):
		return pipeline.InputError(err)
	case errors.As(err, &de):
		return pipeline.InputError(err)
	}
	return err
}

// isFileSystem reports whether opening failed in the file system (missing
// file, permissions, I/O) rather than on the file's contents.
func isFileSystem(err error) bool {
	var pe *fs.PathError
	return errors.As(err, &pe)
}
