package job

import (
	"context"
	"errors"
	"io"

	"github.com/contextualize/contextualize/pipeline"
	"github.com/contextualize/contextualize/schemas"
)

// errCollected stops a Collect once visit wants no more sequences.
var errCollected = errors.New("job: collected enough sequences")

// Collect computes the file at path exactly as Process does (same reading,
// grouping, ordering, binding and workers) but keeps no output: it hands
// each sequence's Result to visit, in file order, until visit returns
// false. only, when not nil, is asked about every sequence (its id and
// length) in file order, on one goroutine, and picks the sequences
// computed and visited; the others are read and skipped. It returns what schemas.Detect found.
// The spec's Observe is replaced for the call; the spec is otherwise used
// as given.
func (s *Spec) Collect(ctx context.Context, path string, only func(key string, n int) bool, visit func(Result) (more bool, err error)) (schemas.Detected, error) {
	c := &collector{visit: visit}
	spec := *s
	spec.only = only
	spec.Observe = func(_ pipeline.Unit, det schemas.Detected) (Observer, error) {
		c.det = det
		return c, nil
	}
	_, err := spec.Process(ctx, pipeline.Unit{Input: path}, io.Discard)
	if errors.Is(err, errCollected) {
		err = nil
	}
	return c.det, err
}

// collector is the ResultObserver of Collect.
type collector struct {
	det   schemas.Detected
	visit func(Result) (bool, error)
}

func (c *collector) Sequence(string, []float64, int, int) error { return nil } // Result is called instead

func (c *collector) Result(r Result) error {
	more, err := c.visit(r)
	if err == nil && !more {
		err = errCollected
	}
	return err
}

func (c *collector) Finish(bool) error { return nil }
