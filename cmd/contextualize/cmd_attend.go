package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/contextualize/contextualize/attention"
	"github.com/contextualize/contextualize/io/attnout"
	"github.com/contextualize/contextualize/io/parquetio"
	"github.com/contextualize/contextualize/io/storage"
	"github.com/contextualize/contextualize/io/weights"
	"github.com/contextualize/contextualize/pipeline"
	"github.com/contextualize/contextualize/pipeline/job"
	"github.com/contextualize/contextualize/schemas"
	"github.com/urfave/cli/v3"
)

func attendCommand() *cli.Command {
	return &cli.Command{
		Name:      "attend",
		Usage:     "multi-head scaled dot-product attention over vector sequences (PyTorch nn.MultiheadAttention semantics)",
		ArgsUsage: "INPUT...",
		Flags:     concat(batchFlags("embedding"), attendFlags(), attentionOutputFlags()),
		Action:    func(ctx context.Context, c *cli.Command) error { return execBatch(ctx, c, attendBatch, runBatch) },
	}
}

// attendFlags are attend's computation flags.
func attendFlags() []cli.Flag {
	return computationFlags(
		&cli.StringFlag{Name: "weights", Usage: "safetensors `PATH` (PyTorch nn.MultiheadAttention or Hugging Face BERT, q_proj, GPT-2 attention names), identity, or random (required)", Sources: envs("weights")},
		&cli.StringFlag{Name: "weights-prefix", Usage: "`PREFIX` of the tensor names selecting one attention block (default: the file's only block)", Sources: envs("weights-prefix")},
		&cli.Uint64Flag{Name: "seed", Usage: "`N` seeding --weights random", Sources: envs("seed")},
		&cli.IntFlag{Name: "heads", Value: 1, Usage: "number of heads `H`; d must divide by it", Sources: envs("heads")},
		&cli.BoolFlag{Name: "causal", Usage: "element i attends to j <= i only", Sources: envs("causal")},
		&cli.IntFlag{Name: "window", Value: -1, Usage: "element i attends to |i-j| <= `W` only; -1: no window", Sources: envs("window")},
		&cli.FloatFlag{Name: "scale", Usage: "score scale `S` > 0", DefaultText: "1/sqrt(d/heads)", Sources: envs("scale")},
	)
}

// attentionOutputFlags ask for the attention weights as a second output.
func attentionOutputFlags() []cli.Flag {
	return category(catOutput,
		&cli.StringFlag{Name: "attention-output", Usage: "also write the attention weights as Parquet under `DIR` (same relative paths as the outputs; default: none)", Sources: envs("attention-output")},
		&cli.BoolFlag{Name: "average-heads", Usage: "average the attention weights over heads (head = -1)", Sources: envs("average-heads")},
		&cli.Int64Flag{Name: "attention-output-limit", Value: attnout.DefaultLimit, Usage: "refuse a file whose attention weights would exceed `ROWS` rows", Sources: envs("attention-output-limit")},
	)
}

func attendBatch(c *cli.Command) (batchRun, error) {
	br, _, err := attendRun(c)
	return br, err
}

// attendRun is attendBatch with the weight source the run binds, which
// plot uses to compute a sequence's attention weights as the run would.
// The attention-output flags are read only where c defines them (plot
// does not).
func attendRun(c *cli.Command) (batchRun, *weightSource, error) {
	scale, err := finite(c, "scale")
	if err != nil {
		return batchRun{}, nil, err
	}
	mp := attention.MHAParams{Heads: c.Int("heads"), Causal: c.Bool("causal"), Window: c.Int("window"), Scale: scale}
	if err := checkMHAParams(mp); err != nil {
		return batchRun{}, nil, err
	}
	if defines(c, "attention-output-limit") && c.Int64("attention-output-limit") <= 0 {
		return batchRun{}, nil, usageError(fmt.Errorf("parsing --attention-output-limit: expected a positive row count, found %d", c.Int64("attention-output-limit")))
	}
	src := c.String("weights")
	if src == "" {
		return batchRun{}, nil, usageError(fmt.Errorf("attend needs --weights PATH (safetensors), identity or random"))
	}
	limit, err := parseSize(c.String("memory-limit"))
	if err != nil {
		return batchRun{}, nil, usageError(fmt.Errorf("parsing --memory-limit: %w", err))
	}
	ws, err := newWeightSource(src, c.String("weights-prefix"), c.Uint64("seed"), mp, c.IsSet("heads"), limit)
	if err != nil {
		return batchRun{}, nil, err
	}
	params := map[string]any{
		"weights": ws.identity, "heads": mp.Heads, "causal": mp.Causal, "window": mp.Window, "scale": mp.Scale,
	}
	bind := func(det schemas.Detected, d int) (job.Computer, error) {
		if err := ws.checkPrecision(det); err != nil {
			return nil, err
		}
		m, err := ws.forD(d)
		if errors.Is(err, errNoFit) {
			return nil, pipeline.InputError(fmt.Errorf("%s: column %q: %w", det.File, det.Value.Name, err))
		}
		if err != nil {
			return nil, &schemas.Error{File: det.File, Column: det.Value.Name, Expected: ws.expect(), Found: fmt.Sprintf("vectors of d=%d (%v)", d, err)}
		}
		return attender{m, mp.Window}, nil
	}
	br := batchRun{command: "attend", params: params, defaults: []string{"embedding"}, bind: bind, heldBytes: ws.heldBytes(),
		valueChecks: []valueTypeCheck{ws.checkPrecision}}
	if ws.fixed == nil { // identity or random weights, made per d: charged when made
		br.useBudget = func(b *pipeline.Budget, _ int64, _ int) { ws.budget = b }
	}
	if dir := c.String("attention-output"); dir != "" {
		// Where the weights go is part of what a run made: another place
		// is another run (exit 2 without --overwrite), not an up-to-date one.
		params["attention-output"], params["average-heads"] = cleanLocation(dir), c.Bool("average-heads")
		br.observe = weightsObserverFactory(dir, c.Bool("average-heads"), c.Int64("attention-output-limit"), ws)
		br.sides = func(u pipeline.Unit) []string { return []string{weightsPath(dir, u)} }
	}
	return br, ws, nil
}

// defines reports whether c has the flag name.
func defines(c *cli.Command, name string) bool {
	for _, f := range c.Flags {
		if f.Names()[0] == name {
			return true
		}
	}
	return false
}

// checkMHAParams validates the heads, window and scale flags once, before
// any file is read, whatever the weights: the window and scale checks are
// NewMHA's, on identity weights of width 1.
func checkMHAParams(p attention.MHAParams) error {
	if p.Heads < 1 {
		return usageError(fmt.Errorf("parsing --heads: expected a head count >= 1, found %d", p.Heads))
	}
	one := p
	one.Heads = 1
	if _, err := attention.NewMHA(attention.IdentityWeights(1), one); err != nil {
		return usageError(fmt.Errorf("attend: %w", err))
	}
	return nil
}

// errNoFit marks weights that cannot fit in the memory limit.
var errNoFit = errors.New("does not fit in --memory-limit")

// weightSource makes the MHA for a vector width: fixed by a weights file,
// or built per width for identity and random weights.
type weightSource struct {
	src      *weights.Source
	identity string // what the fingerprint records
	params   attention.MHAParams
	fixed    *attention.MHA
	budget   *pipeline.Budget // charged for weights made per d
	mu       sync.Mutex
	byD      map[int]*attention.MHA
}

func newWeightSource(src, prefix string, seed uint64, p attention.MHAParams, headsSet bool, limit int64) (*weightSource, error) {
	start := time.Now()
	if src != "identity" && src != "random" {
		if info, err := storage.For(src).Stat(context.Background(), src); err == nil {
			logger.Info("loading weights", "path", src, "bytes", info.Size)
		}
	}
	s, err := weights.Open(src, prefix, seed, limit)
	if err != nil {
		return nil, usageError(err)
	}
	if s.NeedsHeads() && !headsSet {
		b := s.Loaded.Block
		return nil, usageError(fmt.Errorf("weights %s: block %q (%s naming, d=%d) does not record the number of heads: give --heads", src, b.Prefix, b.Scheme, b.D))
	}
	ws := &weightSource{src: s, identity: s.Identity, params: p, byD: map[int]*attention.MHA{}}
	if s.Fixed() {
		b := s.Loaded.Block
		logger.Info("loaded weights", "path", src, "block", b.Prefix, "naming", string(b.Scheme), "d", b.D, "bytes_read", b.Bytes, "seconds", time.Since(start).Seconds())
		w, _ := s.Weights(s.D())
		if ws.fixed, err = attention.NewMHA(w, p); err != nil {
			return nil, usageError(fmt.Errorf("using weights %s: %w", src, err))
		}
		s.Loaded.Weights = attention.MHAWeights{} // the layer holds its own copy
	}
	return ws, nil
}

// heldBytes is the memory the file's attention layer holds for the whole
// run (0 for identity and random weights, made per width).
func (ws *weightSource) heldBytes() int64 {
	if ws.fixed == nil {
		return 0
	}
	return ws.fixed.WeightBytes()
}

// checkPrecision refuses weights that the file's compute precision cannot
// hold: float64 weights beyond the float32 range used for float32 and
// float16 inputs (they would turn every output into NaN).
func (ws *weightSource) checkPrecision(det schemas.Detected) error {
	if ws.fixed == nil || ws.src.Loaded.Fits32 == nil || det.Value.Elem.SlabType() != parquetio.Float32 {
		return nil
	}
	return &schemas.Error{File: det.File, Column: det.Value.Name,
		Expected: "weights within the float32 range, since " + det.Value.Elem.String() + " values are computed in float32 (float64 inputs compute in float64)",
		Found:    ws.src.Loaded.Fits32.Error()}
}

func (ws *weightSource) expect() string {
	if ws.fixed != nil {
		return fmt.Sprintf("vectors of d=%d to match the weights", ws.fixed.D())
	}
	return fmt.Sprintf("vectors whose d divides by %d heads", ws.params.Heads)
}

func (ws *weightSource) forD(d int) (*attention.MHA, error) {
	if ws.fixed != nil {
		if d != ws.fixed.D() {
			return nil, fmt.Errorf("the weights have d=%d", ws.fixed.D())
		}
		return ws.fixed, nil
	}
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if m, ok := ws.byD[d]; ok {
		return m, nil
	}
	if size := ws.budget.Size(); size > 0 {
		need := attention.MHABytes(d)
		if need > size/2 {
			return nil, fmt.Errorf("%w: %s weights of d=%d need %s, more than half of the %s --memory-limit leaves for data; d <= %d fits",
				errNoFit, ws.identity, d, mib(need), mib(size), maxFittingD(size/2))
		}
		ws.budget.TryAcquire(need) // held for the run; best effort, since waiting here could deadlock the file being read
	}
	w, err := ws.src.Weights(d)
	if err != nil {
		return nil, err
	}
	m, err := attention.NewMHA(w, ws.params)
	if err != nil {
		return nil, err
	}
	ws.byD[d] = m
	return m, nil
}

// attender adapts an attention.MHA to job.Computer (and, with a window,
// job.StreamComputer: streams.go).
type attender struct {
	m      *attention.MHA
	window int // --window, -1: none
}

func (a attender) Compute32(dst, src []float32, n, d int, _ []int64) { a.m.Forward32(dst, src, n) }
func (a attender) Compute64(dst, src []float64, n, d int, _ []int64) { a.m.Forward64(dst, src, n) }
