package main

import (
	"github.com/contextualize/contextualize/attention"
	"github.com/contextualize/contextualize/io/attnout"
	"github.com/contextualize/contextualize/io/storage"
	"github.com/contextualize/contextualize/pipeline"
	"github.com/contextualize/contextualize/pipeline/job"
	"github.com/contextualize/contextualize/schemas"
)

// weightsObserverFactory makes, per input file, the observer that writes
// its attention weights to dir/<the input's relative path>.
func weightsObserverFactory(dir string, average bool, limit int64, ws *weightSource) func(pipeline.Unit, schemas.Detected) (job.Observer, error) {
	return func(u pipeline.Unit, det schemas.Detected) (job.Observer, error) {
		w, err := attnout.Create(weightsPath(dir, u), limit)
		if err != nil {
			return nil, err
		}
		return &weightsObserver{w: w, ws: ws, average: average}, nil
	}
}

// weightsPath is where the attention weights of u go: dir/<u's relative path>.
func weightsPath(dir string, u pipeline.Unit) string {
	rel := u.Rel
	if rel == "" {
		rel = storage.Base(u.Input)
	}
	return storage.Join(dir, rel)
}

// weightsObserver computes each sequence's attention probabilities on the
// separate O(n²) path and writes them.
type weightsObserver struct {
	w       *attnout.Writer
	ws      *weightSource
	average bool
}

func (o *weightsObserver) Sequence(key string, x []float64, n, d int) error {
	m, err := o.ws.forD(d)
	if err != nil {
		return err
	}
	rows := allowedPairs(n, o.ws.params)
	if !o.average {
		rows *= int64(m.Heads())
	}
	if err := o.w.Reserve(key, rows); err != nil {
		return pipeline.Usage(err)
	}
	var werr error
	m.Weights(x, n, o.average, func(head, q, k int, w float64) {
		if werr == nil {
			werr = o.w.Add(key, head, q, k, w)
		}
	})
	return werr
}

func (o *weightsObserver) Finish(ok bool) error {
	if !ok {
		o.w.Abort()
		return nil
	}
	return o.w.Commit()
}

// allowedPairs counts the (query, key) pairs the masks leave.
func allowedPairs(n int, p attention.MHAParams) int64 {
	var total int64
	for i := 0; i < n; i++ {
		lo, hi := 0, n-1
		if p.Causal {
			hi = i
		}
		if p.Window >= 0 {
			lo = max(lo, i-p.Window)
			hi = min(hi, i+p.Window)
		}
		total += int64(hi - lo + 1)
	}
	return total
}
