package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/contextualize/contextualize/io/storage"
)

// Action is what a run will do with a unit.
type Action string

// Actions, as printed by `contextualize plan`.
const (
	ActionProcess   Action = "process"                    // no output yet
	ActionSkip      Action = "skip: up to date"           // our fingerprint, and its input's identity on record
	ActionRecompute Action = "recompute: input changed"   // our fingerprint, but its input changed (or is not on record)
	ActionDiffers   Action = "error: fingerprint differs" // output from other parameters, no --overwrite
	ActionOverwrite Action = "overwrite"                  // output exists, --overwrite
	// ActionInvalid: the input fails the checks a run makes before it
	// computes (footer, schema, keys, d against the weights), or its
	// directory entry cannot be examined; the run would fail it. Set by
	// the caller of Plan, which knows the checks, and by Plan for entries.
	ActionInvalid Action = "error: input"
)

// PlanEntry is one unit of `contextualize plan --json` (see
// schemas/manifest/plan.schema.json).
type PlanEntry struct {
	Index    int    `json:"index"`
	Input    string `json:"input"`
	Output   string `json:"output"`
	Size     int64  `json:"size"`
	Shard    int    `json:"shard"`
	Selected bool   `json:"selected"`
	Action   Action `json:"action"`
	Detail   string `json:"detail,omitempty"`
	Rows     int64  `json:"rows,omitempty"` // input rows, from its footer, when checked
	// Sequences is "interleaved" when the rows of some sequence are not
	// contiguous (a run groups them by id); SpillBytes is then about the
	// temp disk the run will use, when grouping exceeds --memory-limit.
	Sequences  string `json:"sequences,omitempty"`
	SpillBytes int64  `json:"spill_bytes,omitempty"`
}

type decision struct {
	Action Action
	Detail string
	// For ActionSkip: the input's identity (equal to the record's) and the
	// record, which gives the output's rows and time.
	ID  *storage.Identity
	Rec *record
	Out storage.Info
}

// decider decides units against the manifests of the output directory.
type decider struct {
	ctx  context.Context
	opt  *Options
	recs records
}

// decide looks at the existing output of u. The error is for failing I/O
// on the output (not on the input: a bad input fails when processed).
func (d *decider) decide(u Unit) (decision, error) {
	opt := d.opt
	if u.Err != nil {
		return decision{Action: ActionInvalid, Detail: u.Err.Error()}, nil
	}
	info, err := opt.Store.Stat(d.ctx, u.Output)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return decision{Action: ActionProcess}, nil
	case err != nil:
		return decision{Action: ActionProcess}, IOError(fmt.Errorf("checking output %s: %w", u.Output, err))
	case info.IsDir:
		return decision{Action: ActionDiffers, Detail: "it is a directory"}, nil
	case opt.Overwrite:
		return decision{Action: ActionOverwrite}, nil
	case opt.ReadFingerprint == nil:
		return decision{Action: ActionDiffers, Detail: "its fingerprint cannot be read"}, nil
	}
	fp, err := opt.ReadFingerprint(u.Output)
	switch {
	case err != nil:
		return decision{Action: ActionDiffers, Detail: "reading its fingerprint: " + err.Error()}, nil
	case fp == "":
		return decision{Action: ActionDiffers, Detail: "it has no fingerprint"}, nil
	case fp != opt.Fingerprint:
		return decision{Action: ActionDiffers, Detail: fmt.Sprintf("fingerprint %s, want %s", fp, opt.Fingerprint)}, nil
	}
	// Same parameters: up to date only if made from the input as it is now.
	rec := d.recs.find(u.Rel, opt.Fingerprint, info)
	if rec == nil {
		return decision{Action: ActionRecompute, Detail: "no record of the input it was made from"}, nil
	}
	cur, err := storage.IdentifyName(d.ctx, opt.Store, u.Input)
	switch {
	case err != nil:
		return decision{Action: ActionRecompute, Detail: "reading its input: " + err.Error()}, nil
	case !cur.Equal(*rec.in.Identity):
		return decision{Action: ActionRecompute, Detail: fmt.Sprintf("input was %s, now %s", rec.in.Identity, cur)}, nil
	}
	return decision{Action: ActionSkip, ID: &cur, Rec: rec, Out: info}, nil
}

// Plan returns, for every unit of the set (all shards), its shard, whether
// this shard selects it, and what Run would do with it. It reads only
// output metadata; the result is deterministic for given files.
func Plan(units []Unit, opt Options) ([]PlanEntry, error) {
	if err := opt.defaults(); err != nil {
		return nil, err
	}
	recs, err := loadRecords(context.Background(), &opt)
	if err != nil {
		return nil, err
	}
	dc := &decider{ctx: context.Background(), opt: &opt, recs: recs}
	entries := make([]PlanEntry, 0, len(units))
	for _, u := range units {
		d, err := dc.decide(u)
		if err != nil {
			return nil, err
		}
		shard := ShardOf(u, opt.ShardCount)
		entries = append(entries, PlanEntry{
			Index: u.Index, Input: u.Input, Output: u.Output, Size: u.Size,
			Shard: shard, Selected: shard == opt.ShardIndex,
			Action: d.Action, Detail: d.Detail,
		})
	}
	return entries, nil
}

// WritePlanJSON writes the entries as one indented JSON array (an empty
// plan is []), the output of `contextualize plan --json`: a top-level array
// so that Argo's withParam can fan out over it directly. See
// schemas/manifest/plan.schema.json.
func WritePlanJSON(w io.Writer, entries []PlanEntry) error {
	if entries == nil {
		entries = []PlanEntry{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(entries)
}
