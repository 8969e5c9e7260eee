package main

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"

	"github.com/contextualize/contextualize/io/attnout"
	"github.com/contextualize/contextualize/picture"
	"github.com/contextualize/contextualize/pipeline"
	"github.com/urfave/cli/v3"
)

// weightsSeq is what a first pass over a weights file learns of a sequence.
type weightsSeq struct {
	key   string
	n     int
	heads []int
	grids map[int]*picture.Grid
}

// buildWeightsPlot draws a file written by attend --attention-output: a
// first pass finds the sequences, their lengths and heads, a second fills
// the chosen sequences' grids.
func buildWeightsPlot(c *cli.Command) (*plotBuild, error) {
	o, err := parsePlotOptions(c)
	if err != nil {
		return nil, err
	}
	want := 1
	if o.format == picture.HTML {
		want = o.maxSequences
	}
	order, err := scanWeights(o.input)
	if err != nil {
		return nil, err
	}
	chosen, err := chooseWeights(order, o, want)
	if err != nil {
		return nil, err
	}
	if err := fillWeights(o.input, chosen, o.maxPoints); err != nil {
		return nil, err
	}
	b := &plotBuild{opts: o, params: [][2]string{{"command", "weights"}, {"input", o.input}, {"max-points", fmt.Sprint(o.maxPoints)}}}
	for _, s := range chosen {
		f, err := s.figure(o)
		if err != nil {
			return nil, err
		}
		b.figures = append(b.figures, f)
	}
	b.schema = func() ([][]string, [][2]string, error) {
		return [][]string{{"column", "type"}, {"sequence", "string"}, {"head", "int32"}, {"query", "int32"}, {"key", "int32"}, {"weight", "double"}},
			[][2]string{{"sequences", fmt.Sprint(len(order))}}, nil
	}
	return b, nil
}

// scanWeights is the first pass: the file's sequences in order, with
// their lengths and heads.
func scanWeights(path string) ([]*weightsSeq, error) {
	var order []*weightsSeq
	byKey := map[string]*weightsSeq{}
	err := attnout.Scan(path, func(r attnout.Row) error {
		s := byKey[r.Sequence]
		if s == nil {
			s = &weightsSeq{key: r.Sequence}
			byKey[r.Sequence] = s
			order = append(order, s)
		}
		if r.Query < 0 || r.Key < 0 || r.Head < -1 {
			return fmt.Errorf("reading %s: sequence %q: expected query, key >= 0 and head >= -1, found head %d query %d key %d", path, r.Sequence, r.Head, r.Query, r.Key)
		}
		s.n = max(s.n, int(r.Query)+1, int(r.Key)+1)
		if !slices.Contains(s.heads, int(r.Head)) {
			s.heads = append(s.heads, int(r.Head))
		}
		return nil
	})
	if err != nil {
		return nil, inputOrIO(err)
	}
	return order, nil
}

// fillWeights is the second pass: the chosen sequences' grids.
func fillWeights(path string, chosen []*weightsSeq, maxPoints int) error {
	byKey := map[string]*weightsSeq{}
	for _, s := range chosen {
		slices.Sort(s.heads)
		s.grids = map[int]*picture.Grid{}
		for _, h := range s.heads {
			s.grids[h] = picture.NewGrid(s.n, maxPoints)
		}
		byKey[s.key] = s
	}
	err := attnout.Scan(path, func(r attnout.Row) error {
		s := byKey[r.Sequence]
		if s == nil {
			return nil
		}
		g := s.grids[int(r.Head)]
		if g == nil || r.Query < 0 || r.Key < 0 || int(r.Query) >= s.n || int(r.Key) >= s.n {
			return fmt.Errorf("reading %s: sequence %q changed between two reads (head %d query %d key %d)", path, r.Sequence, r.Head, r.Query, r.Key)
		}
		g.Add(int(r.Query), int(r.Key), r.Weight)
		return nil
	})
	return inputOrIO(err)
}

// figure draws the sequence's heads.
func (s *weightsSeq) figure(o plotOptions) (*picture.Figure, error) {
	a := picture.Attention{MaxPoints: o.maxPoints, Notes: []string{"from " + o.input}}
	heads := fmt.Sprintf("%d heads", len(s.heads))
	if len(s.heads) == 1 && s.heads[0] < 0 {
		heads = "mean over heads"
	}
	a.Title = fmt.Sprintf("attention weights: sequence %s (n = %d, %s)", s.key, s.n, heads)
	for _, h := range s.heads {
		a.Heads, a.Grids = append(a.Heads, h), append(a.Grids, s.grids[h])
	}
	return a.Figure()
}

// chooseWeights picks the sequence asked for (or the first) and, for
// .html, the ones after it.
func chooseWeights(order []*weightsSeq, o plotOptions, want int) ([]*weightsSeq, error) {
	start := 0
	if o.hasSequence {
		start = slices.IndexFunc(order, func(s *weightsSeq) bool { return s.key == o.sequence })
		if start < 0 {
			var first []string
			for _, s := range order[:min(5, len(order))] {
				first = append(first, strconv.Quote(s.key))
			}
			return nil, usageError(fmt.Errorf("plotting %s: no sequence %q (the file's first: %s)", o.input, o.sequence, strings.Join(first, ", ")))
		}
	}
	if len(order) == 0 {
		return nil, usageError(fmt.Errorf("plotting %s: the file holds no attention weights", o.input))
	}
	return order[start:min(start+want, len(order))], nil
}

// inputOrIO keeps a file-system error (exit 1: retrying may help) and
// makes anything else found in a weights file bad input.
func inputOrIO(err error) error {
	var pe *fs.PathError
	if err == nil || errors.As(err, &pe) {
		return err
	}
	return pipeline.InputError(err)
}
