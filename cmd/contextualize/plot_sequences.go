package main

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/contextualize/contextualize/io/parquetio"
	"github.com/contextualize/contextualize/picture"
	"github.com/contextualize/contextualize/pipeline/job"
	"github.com/contextualize/contextualize/schemas"
)

// collected are the sequences a plot draws, and the file's layout.
type collected struct {
	results []job.Result
	det     schemas.Detected
}

// collectSequences runs the job over the input until it has the sequence
// asked for (or the first), and for .html the ones after it; the job
// computes those and only reads the others.
func collectSequences(ctx context.Context, spec *job.Spec, o plotOptions) (collected, error) {
	want := 1
	if o.format == picture.HTML {
		want = o.maxSequences
	}
	var got collected
	var first []string
	started, picked, emptyAsked := !o.hasSequence, 0, false
	only := func(key string, n int) bool {
		if len(first) < 5 {
			first = append(first, strconv.Quote(key))
		}
		if !started && key == o.sequence {
			started, emptyAsked = true, n == 0
		}
		if !started || n == 0 || emptyAsked || picked == want {
			return false
		}
		picked++
		return true
	}
	det, err := spec.Collect(ctx, o.input, only, func(r job.Result) (bool, error) {
		got.results = append(got.results, r)
		return len(got.results) < want, nil
	})
	if err != nil {
		return got, err
	}
	got.det = det
	switch {
	case emptyAsked:
		return got, usageError(fmt.Errorf("plotting %s: sequence %q is empty: nothing to draw", o.input, o.sequence))
	case len(got.results) > 0:
		return got, nil
	case o.hasSequence:
		return got, usageError(fmt.Errorf("plotting %s: no sequence %q (the file's first: %s)", o.input, o.sequence, strings.Join(first, ", ")))
	}
	return got, usageError(fmt.Errorf("plotting %s: the file holds no non-empty sequence", o.input))
}

// sequenceName is how a picture names a sequence.
func sequenceName(key string, det schemas.Detected) string {
	if det.Sequence == nil && det.Layout == schemas.Long {
		return "(the whole file)"
	}
	if det.Sequence == nil {
		return "row " + key
	}
	return key
}

// attendFigure draws one sequence's attention: its weights computed by
// the weights path of --attention-output (MHA.Weights on the inputs in
// order), and the norms of the run's inputs and outputs.
func attendFigure(r job.Result, det schemas.Detected, ws *weightSource, average bool, maxPoints int, params [][2]string) (*picture.Figure, error) {
	m, err := ws.forD(r.D)
	if err != nil {
		return nil, usageError(fmt.Errorf("plotting sequence %q: %w", r.Key, err))
	}
	a := picture.Attention{MaxPoints: maxPoints, Notes: []string{paramLine(params)}}
	if average {
		a.Heads, a.Grids = []int{-1}, []*picture.Grid{picture.NewGrid(r.N, maxPoints)}
	} else {
		for h := 0; h < m.Heads(); h++ {
			a.Heads, a.Grids = append(a.Heads, h), append(a.Grids, picture.NewGrid(r.N, maxPoints))
		}
	}
	m.Weights(r.In, r.N, average, func(head, q, k int, w float64) {
		a.Grids[max(head, 0)].Add(q, k, w)
	})
	a.InNorm, a.OutNorm = norms(r.In, r.N, r.D), norms(r.Out, r.N, r.D)
	a.Title = fmt.Sprintf("attend: sequence %s (n = %d, d = %d, %d heads)", sequenceName(r.Key, det), r.N, r.D, m.Heads())
	return a.Figure()
}

// norms are the Euclidean norms of the n vectors of width d in x.
func norms(x []float64, n, d int) []float64 {
	out := make([]float64, n)
	for i := range out {
		var s float64
		for _, v := range x[i*d : (i+1)*d] {
			s += v * v
		}
		out[i] = math.Sqrt(s)
	}
	return out
}

// smoothFigure draws one sequence's chosen channels before and after.
func smoothFigure(r job.Result, det schemas.Detected, channels []int, maxPoints int, params [][2]string) (*picture.Figure, error) {
	line := params
	if r.D == 1 { // --channels means nothing for a series
		line = slices.DeleteFunc(slices.Clone(params), func(p [2]string) bool { return p[0] == "channels" })
	}
	s := picture.Series{MaxPoints: maxPoints, Notes: []string{paramLine(line)}, YLabel: det.Value.Name}
	for _, ch := range channels {
		if ch < r.D {
			s.Channels = append(s.Channels, ch)
		}
	}
	if len(s.Channels) == 0 {
		return nil, usageError(fmt.Errorf("parsing --channels: sequence %q has d = %d, so channels 0 to %d; none of %v", r.Key, r.D, r.D-1, channels))
	}
	for _, ch := range s.Channels {
		s.Raw, s.Smoothed = append(s.Raw, channel(r.In, r.N, r.D, ch)), append(s.Smoothed, channel(r.Out, r.N, r.D, ch))
	}
	s.X, s.Time, s.Clock, s.XLabel = orderAxis(r, det)
	s.Positions = !s.Time && (det.Order == nil && det.Time == nil || isInteger(det))
	s.Title = fmt.Sprintf("smooth: sequence %s (n = %d, d = %d)", sequenceName(r.Key, det), r.N, r.D)
	return s.Figure()
}

// channel is column ch of the n×d values x.
func channel(x []float64, n, d, ch int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = x[i*d+ch]
	}
	return out
}

// orderAxis is the x axis of a series: its order values in the column's
// own units (seconds since the epoch for dates and timestamps, since
// midnight for times), or positions without an order column.
func orderAxis(r job.Result, det schemas.Detected) (x []float64, isTime, clock bool, label string) {
	x = make([]float64, r.N)
	col := det.Order
	if det.Layout == schemas.Nested {
		col = det.Time
	}
	if r.Order == nil || col == nil {
		for i := range x {
			x[i] = float64(i)
		}
		return x, false, false, "position in the sequence"
	}
	for i, v := range r.Order {
		x[i] = orderValue(v, *col)
	}
	return x, schemas.OrderUnits(*col).Duration, col.Elem == parquetio.Time, col.Name
}

// orderValue is the value of the order key v (the job's int64 that sorts
// like the column's value) in the column's units; durations in seconds.
func orderValue(v int64, col parquetio.ColumnInfo) float64 {
	u := schemas.OrderUnits(col)
	switch {
	case u.Duration:
		return float64(v) * u.NanosPerUnit / 1e9
	case schemas.FloatOrder(col):
		return schemas.KeyFloat(v)
	case col.Elem == parquetio.Uint64:
		return float64(uint64(v) ^ 1<<63) // schemas.Uint64Key undone
	}
	return float64(v) / u.PerNumber
}

// parseChannels reads --channels: indices and ranges like 0-3,7.
func parseChannels(s string) ([]int, error) {
	var out []int
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(strings.TrimSpace(lo))
		b := a
		if err == nil && isRange {
			b, err = strconv.Atoi(strings.TrimSpace(hi))
		}
		if err != nil || a < 0 || b < a || b-a > 1024 {
			return nil, usageError(fmt.Errorf("parsing --channels: expected channel numbers and ranges like 0-3,7, found %q", s))
		}
		for ch := a; ch <= b; ch++ {
			out = append(out, ch)
		}
	}
	return out, nil
}

// isInteger reports whether the series' order column holds integers
// (ticks then fall on whole numbers).
func isInteger(det schemas.Detected) bool {
	col := det.Order
	if det.Layout == schemas.Nested {
		col = det.Time
	}
	if col == nil {
		return true
	}
	switch col.Elem {
	case parquetio.Float32, parquetio.Float64, parquetio.Decimal:
		return false
	}
	return true
}
