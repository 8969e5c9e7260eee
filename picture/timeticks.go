package picture

import (
	"math"
	"slices"
	"strconv"
	"time"

	"gonum.org/v1/plot"
)

// timeSteps are the tick spacings a time axis chooses from, in seconds.
var timeSteps = []float64{
	1, 2, 5, 10, 15, 30,
	60, 2 * 60, 5 * 60, 10 * 60, 15 * 60, 30 * 60,
	3600, 2 * 3600, 3 * 3600, 6 * 3600, 12 * 3600,
	86400, 2 * 86400, 7 * 86400, 14 * 86400, 28 * 86400, 91 * 86400, 182 * 86400, 364 * 86400,
}

// maxTimeTicks bounds the labelled ticks of a time axis.
const maxTimeTicks = 8

// timeTicks marks a time axis (seconds since the Unix epoch, shown in UTC)
// at round steps: whole minutes, hours, days.
type timeTicks struct{}

// Ticks implements plot.Ticker.
func (timeTicks) Ticks(lo, hi float64) []plot.Tick {
	step := timeSteps[len(timeSteps)-1]
	for _, s := range timeSteps {
		if (hi-lo)/s <= maxTimeTicks {
			step = s
			break
		}
	}
	layout := timeLayout(step, hi-lo)
	var ticks []plot.Tick
	half := step / 2
	for v := math.Ceil(lo/half) * half; v <= hi; v += half {
		t := plot.Tick{Value: v}
		if math.Mod(v, step) == 0 {
			t.Label = time.Unix(0, 0).UTC().Add(time.Duration(v * 1e9)).Format(layout)
		}
		ticks = append(ticks, t)
	}
	return ticks
}

// timeLayout is the label layout for ticks step seconds apart over span.
func timeLayout(step, span float64) string {
	switch {
	case step >= 86400:
		return "2006-01-02"
	case span > 86400:
		return "Jan 2 15:04"
	case step < 60:
		return "15:04:05"
	}
	return "15:04"
}

// timeDay names the UTC day of a span shorter than a day, for the axis
// label ("" when it covers more).
func timeDay(lo, hi float64) string {
	a := time.Unix(int64(math.Floor(lo)), 0).UTC()
	b := time.Unix(int64(math.Floor(hi)), 0).UTC()
	if a.Format("2006-01-02") != b.Format("2006-01-02") || hi-lo > 86400 {
		return ""
	}
	return a.Format("2006-01-02")
}

// positionSteps are the tick spacings of a position axis, times powers of 10.
var positionSteps = []float64{1, 2, 5}

// positionTicks marks an axis of sequence positions at whole numbers;
// negated, it labels an axis holding minus the positions.
type positionTicks struct{ negated bool }

// Ticks implements plot.Ticker.
func (p positionTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi >= lo) || math.IsInf(hi-lo, 0) {
		return nil
	}
	step := 1.0
	for scale := 1.0; ; scale *= 10 {
		found := false
		for _, s := range positionSteps {
			if (hi-lo)/(s*scale) <= maxTimeTicks {
				step, found = s*scale, true
				break
			}
		}
		if found {
			break
		}
	}
	minor := step
	if step >= 5 {
		minor = step / 5
	} else if step == 2 {
		minor = 1
	}
	var ticks []plot.Tick
	for v := math.Ceil(lo/minor) * minor; v <= hi; v += minor {
		t := plot.Tick{Value: v}
		if math.Mod(v, step) == 0 {
			label := v + 0 // +0 turns -0 into 0
			if p.negated {
				label = -v + 0
			}
			t.Label = strconv.FormatFloat(label, 'f', -1, 64)
		}
		ticks = append(ticks, t)
	}
	return ticks
}

// logTicks marks an axis holding log10 of values with the values: 1, 2
// and 5 times powers of ten, or only the powers when those are too many.
type logTicks struct{}

// Ticks implements plot.Ticker.
func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi >= lo) || math.IsInf(hi-lo, 0) {
		return nil
	}
	for _, mantissas := range [][]float64{{1, 2, 5}, {1}} {
		var ticks []plot.Tick
		labelled := 0
		for e := math.Floor(lo); e <= math.Ceil(hi); e++ {
			for _, m := range []float64{1, 2, 3, 4, 5, 6, 7, 8, 9} {
				v := math.Log10(m) + e
				if v < lo-1e-9 || v > hi+1e-9 {
					continue
				}
				t := plot.Tick{Value: v}
				if slices.Contains(mantissas, m) {
					t.Label = strconv.FormatFloat(m*math.Pow(10, e), 'g', 3, 64)
					labelled++
				}
				ticks = append(ticks, t)
			}
		}
		if labelled <= maxTimeTicks || len(mantissas) == 1 {
			return ticks
		}
	}
	return nil
}
