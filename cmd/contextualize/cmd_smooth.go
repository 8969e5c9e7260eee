package main

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/contextualize/contextualize/attention"
	"github.com/contextualize/contextualize/pipeline"
	"github.com/contextualize/contextualize/pipeline/job"
	"github.com/contextualize/contextualize/schemas"
	"github.com/urfave/cli/v3"
)

func smoothCommand() *cli.Command {
	return &cli.Command{
		Name:      "smooth",
		Usage:     "Gaussian smoothing over series or vector sequences (scipy gaussian_filter1d semantics)",
		ArgsUsage: "INPUT...",
		Flags:     concat(batchFlags("value, else embedding"), smoothFlags()),
		Action:    func(ctx context.Context, c *cli.Command) error { return execBatch(ctx, c, smoothBatch, runBatch) },
	}
}

// smoothFlags are smooth's computation flags.
func smoothFlags() []cli.Flag {
	return computationFlags(
		&cli.FloatFlag{Name: "sigma", Usage: "standard deviation `S` in positions, > 0 (required unless --bandwidth)", HideDefault: true, Sources: envs("sigma")},
		&cli.FloatFlag{Name: "truncate", Value: 4.0, Usage: "radius = int(`T`*sigma + 0.5)", Sources: envs("truncate")},
		&cli.IntFlag{Name: "radius", Value: -1, Usage: "kernel radius `R` in positions, overriding --truncate; -1: from --truncate", Sources: envs("radius")},
		&cli.StringFlag{Name: "mode", Value: "reflect", Usage: "edges: reflect, nearest, mirror, constant or wrap (as scipy.ndimage)", Sources: envs("mode")},
		&cli.FloatFlag{Name: "cval", Usage: "the constant `C` beyond the edges for --mode constant (NaN and ±Inf allowed)", Sources: envs("cval")},
		&cli.IntFlag{Name: "order", Usage: "0, 1 or 2: derivative of the Gaussian", Sources: envs("order")},
		&cli.StringFlag{Name: "nan", Value: "propagate", Usage: "missing values: propagate (as scipy) or interpolate (skip them)", Sources: envs("nan")},
		&cli.StringFlag{Name: "bandwidth", Usage: "irregular timestamps: kernel bandwidth `B` as a duration (90s, 5m) or a number in the order column's units (default: none, positional smoothing)", Sources: envs("bandwidth")},
	)
}

func smoothBatch(c *cli.Command) (batchRun, error) {
	var floats [2]float64
	for i, name := range []string{"sigma", "truncate"} {
		v, err := finite(c, name)
		if err != nil {
			return batchRun{}, err
		}
		floats[i] = v
	}
	p := attention.SmoothParams{
		Sigma: floats[0], Truncate: floats[1], Radius: c.Int("radius"),
		Mode: c.String("mode"), Cval: c.Float("cval"), Order: c.Int("order"), NaN: c.String("nan"),
	}
	bw, err := parseBandwidth(c.String("bandwidth"))
	if err != nil {
		return batchRun{}, usageError(err)
	}
	var shared *attention.Smoother
	if bw.set {
		p.Bandwidth = 1 // validated now, bound per file in the order column's units
	}
	if shared, err = attention.NewSmoother(p); err != nil {
		return batchRun{}, usageError(fmt.Errorf("smooth: %w", err))
	}
	params := map[string]any{
		"sigma": p.Sigma, "truncate": p.Truncate, "radius": p.Radius, "mode": p.Mode,
		"cval": jsonFloat(p.Cval), "order": p.Order, "nan": p.NaN, "bandwidth": c.String("bandwidth"),
	}
	flag := fmt.Sprintf("--sigma %v", p.Sigma)
	if p.Radius >= 0 {
		flag = fmt.Sprintf("--radius %d", p.Radius)
	}
	var limit int64 // --memory-limit
	var workers int
	bind := func(det schemas.Detected, d int) (job.Computer, error) {
		if !bw.set {
			// the padded lines of d channels, per worker, charged before the data
			if _, err := smoothMemory(shared.Radius(), d, flag).check(limit, workers); err != nil {
				return nil, pipeline.InputError(fmt.Errorf("%s: vectors of d=%d: %w", det.File, d, err))
			}
			return smoother{s: shared}, nil
		}
		h, err := schemas.Bandwidth(det, bw.duration > 0, bw.duration.Nanoseconds(), c.String("bandwidth"))
		if err != nil {
			return nil, err
		}
		q := p
		q.Bandwidth = h
		s, err := attention.NewSmoother(q)
		if err != nil {
			return nil, usageError(fmt.Errorf("%s: --bandwidth %s is %g in the units of the order column: %w", det.File, c.String("bandwidth"), h, err))
		}
		if timesAreFloats(det) {
			return floatTimeSmoother{s}, nil
		}
		return smoother{s: s, timed: true}, nil
	}
	br := batchRun{command: "smooth", params: params, defaults: []string{"value", "embedding"}, bind: bind, needsTime: bw.set}
	if !bw.set {
		br.fixed = smoothMemory(shared.Radius(), 1, flag)
		br.useBudget = func(_ *pipeline.Budget, l int64, w int) { limit, workers = l, w }
	}
	return br, nil
}

// smoother adapts an attention.Smoother to job.Computer (and
// job.StreamComputer, streams.go); timed: --bandwidth, at the order values.
type smoother struct {
	s     *attention.Smoother
	timed bool
}

func (s smoother) Compute32(dst, src []float32, n, d int, t []int64) {
	if t != nil {
		s.s.SmoothAt32(dst, src, t, n, d)
		return
	}
	s.s.Smooth32(dst, src, n, d)
}

func (s smoother) Compute64(dst, src []float64, n, d int, t []int64) {
	if t != nil {
		s.s.SmoothAt64(dst, src, t, n, d)
		return
	}
	s.s.Smooth64(dst, src, n, d)
}

// timesAreFloats reports whether det's order (or time) values are floats,
// which the job hands over as schemas.FloatKey keys.
func timesAreFloats(det schemas.Detected) bool {
	col := det.Order
	if det.Layout == schemas.Nested {
		col = det.Time
	}
	return col != nil && schemas.FloatOrder(*col)
}

// floatTimeSmoother smooths at the times of a float order column.
type floatTimeSmoother struct{ s *attention.Smoother }

func (s floatTimeSmoother) Compute32(dst, src []float32, n, d int, t []int64) {
	s.s.SmoothAtFloat32(dst, src, job.FloatTimes(nil, t[:n]), n, d)
}

func (s floatTimeSmoother) Compute64(dst, src []float64, n, d int, t []int64) {
	s.s.SmoothAtFloat64(dst, src, job.FloatTimes(nil, t[:n]), n, d)
}

// bandwidth is a --bandwidth value: a duration, or a plain number in the
// order column's own units.
type bandwidth struct {
	set      bool
	duration time.Duration
	number   float64
}

func parseBandwidth(s string) (bandwidth, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return bandwidth{}, nil
	}
	if v, err := strconv.ParseFloat(s, 64); err == nil {
		if _, ok := new(big.Rat).SetString(s); !ok || math.IsInf(v, 0) || math.IsNaN(v) || v <= 0 {
			return bandwidth{}, fmt.Errorf("parsing --bandwidth: expected a finite positive value, found %q", s)
		}
		return bandwidth{set: true, number: v}, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return bandwidth{}, fmt.Errorf("parsing --bandwidth: expected a positive duration like 90s or 5m, or a number in the order column's units, found %q", s)
	}
	return bandwidth{set: true, duration: d}, nil
}
