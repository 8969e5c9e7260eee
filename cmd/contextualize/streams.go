package main

import (
	"errors"
	"fmt"

	"github.com/contextualize/contextualize/attention"
	"github.com/contextualize/contextualize/pipeline/job"
)

// The computers' streams (job.StreamComputer): a long sequence whose order
// column is ascending is pushed in segments instead of being gathered.
// Each wraps an attention stream, bit for bit the whole-sequence call.

// errNoWindow: attention without a window needs every earlier row.
var errNoWindow = errors.New("attend without --window needs every row of the sequence for every output")

func (s smoother) NewStream32(n, d, maxRows int) (job.SeqStream[float32], error) {
	return smoothStream[float32](s.s, d, maxRows, s.timed)
}

func (s smoother) NewStream64(n, d, maxRows int) (job.SeqStream[float64], error) {
	return smoothStream[float64](s.s, d, maxRows, s.timed)
}

func (s smoother) StreamBytes(n, d, seg, maxRows, _ int) int64 {
	if s.timed {
		return atBytes(d, seg, maxRows)
	}
	return attention.StreamBytes(s.s.Radius(), d, seg)
}

func (s floatTimeSmoother) NewStream32(n, d, maxRows int) (job.SeqStream[float32], error) {
	return &floatAtStream[float32]{st: attention.NewStreamAt[float32, float64](s.s, d, maxRows)}, nil
}

func (s floatTimeSmoother) NewStream64(n, d, maxRows int) (job.SeqStream[float64], error) {
	return &floatAtStream[float64]{st: attention.NewStreamAt[float64, float64](s.s, d, maxRows)}, nil
}

func (s floatTimeSmoother) StreamBytes(n, d, seg, maxRows, _ int) int64 {
	return atBytes(d, seg, maxRows) + 8*int64(seg)
}

// atBytes bounds a StreamAt's memory while its window holds at most
// maxRows rows and pushes bring at most seg: those rows of d float64, their
// times and band offsets, and the cached kernel values (2 MiB).
func atBytes(d, seg, maxRows int) int64 {
	return 8*int64(maxRows+seg)*int64(d+2) + 2<<20
}

func smoothStream[T float32 | float64](s *attention.Smoother, d, maxRows int, timed bool) (job.SeqStream[T], error) {
	if timed {
		return atStream[T]{attention.NewStreamAt[T, int64](s, d, maxRows)}, nil
	}
	var st any
	var err error
	if _, f32 := any(T(0)).(float32); f32 {
		st, err = s.NewStream32(d)
	} else {
		st, err = s.NewStream64(d)
	}
	if err != nil {
		return nil, err
	}
	return posStream[T]{st.(*attention.Stream[T])}, nil
}

// posStream is positional smoothing in segments.
type posStream[T float32 | float64] struct{ st *attention.Stream[T] }

func (p posStream[T]) Push(dst, src []T, _ []int64) ([]T, error) { return p.st.Push(dst, src), nil }
func (p posStream[T]) Close(dst []T) []T                         { return p.st.Close(dst) }
func (p posStream[T]) HeldBytes() int64                          { return p.st.HeldBytes() }
func (p posStream[T]) Exceeded() (int, bool)                     { return 0, false }

// atStream is --bandwidth smoothing at an integer order column's values.
type atStream[T float32 | float64] struct {
	st *attention.StreamAt[T, int64]
}

func (p atStream[T]) Push(dst, src []T, t []int64) ([]T, error) { return p.st.Push(dst, src, t) }
func (p atStream[T]) Close(dst []T) []T                         { return p.st.Close(dst) }
func (p atStream[T]) HeldBytes() int64                          { return p.st.HeldBytes() }
func (p atStream[T]) Exceeded() (int, bool)                     { return p.st.Exceeded() }

// floatAtStream is --bandwidth smoothing at a float order column's values
// (the job's keys decoded per push, as floatTimeSmoother does).
type floatAtStream[T float32 | float64] struct {
	st *attention.StreamAt[T, float64]
	ts []float64
}

func (p *floatAtStream[T]) Push(dst, src []T, t []int64) ([]T, error) {
	p.ts = job.FloatTimes(p.ts[:0], t)
	return p.st.Push(dst, src, p.ts)
}
func (p *floatAtStream[T]) Close(dst []T) []T     { return p.st.Close(dst) }
func (p *floatAtStream[T]) HeldBytes() int64      { return p.st.HeldBytes() + 8*int64(cap(p.ts)) }
func (p *floatAtStream[T]) Exceeded() (int, bool) { return p.st.Exceeded() }

func (a attender) NewStream32(n, d, _ int) (job.SeqStream[float32], error) {
	if a.window < 0 {
		return nil, errNoWindow
	}
	return mhaStream[float32]{a.m.NewStream32(n)}, nil
}

func (a attender) NewStream64(n, d, _ int) (job.SeqStream[float64], error) {
	if a.window < 0 {
		return nil, errNoWindow
	}
	return mhaStream[float64]{a.m.NewStream64(n)}, nil
}

// StreamBytes bounds an AttendStream's memory: the rows it holds (a range
// of RangeStep rows, the window on both sides, ~2,900 alignment rows and a
// segment) and, for the range being computed, its projections and head
// outputs (about four times its rows again).
func (a attender) StreamBytes(n, d, seg, _, elemSize int) int64 {
	step := a.m.RangeStep32(n)
	if elemSize == 8 {
		step = a.m.RangeStep64(n)
	}
	rows := int64(step + 2*a.window + 2944)
	return int64(elemSize) * int64(d) * (rows + int64(seg) + 4*rows)
}

// mhaStream is windowed attention in segments.
type mhaStream[T float32 | float64] struct {
	st *attention.AttendStream[T]
}

func (p mhaStream[T]) Push(dst, src []T, _ []int64) ([]T, error) { return p.st.Push(dst, src), nil }

func (p mhaStream[T]) Close(dst []T) []T {
	if !p.st.Done() {
		panic(fmt.Sprintf("attention stream closed before its last row"))
	}
	return dst
}
func (p mhaStream[T]) HeldBytes() int64      { return p.st.HeldBytes() }
func (p mhaStream[T]) Exceeded() (int, bool) { return 0, false }
