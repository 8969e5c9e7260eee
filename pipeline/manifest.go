package pipeline

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"sort"
	"time"

	"github.com/contextualize/contextualize/io/storage"
)

// Manifest formats (the "format" field).
const (
	SuccessFormat = "contextualize/success/v1"
	ShardFormat   = "contextualize/shard/v1"
)

// ManifestInput is an input file in a manifest.
type ManifestInput struct {
	Path string `json:"path"` // as given on the command line (slash separated)
	Size int64  `json:"size"` // bytes
	Rows int64  `json:"rows"` // -1: unknown
	// Identity of the input the output was made from (size, modification
	// time or ETag, footer hash); absent when unknown. An output is up to
	// date only while its input still has this identity.
	Identity *storage.Identity `json:"identity,omitempty"`
}

// ManifestOutput is an output file in a manifest; Outputs[i] comes from
// Inputs[i].
type ManifestOutput struct {
	Path  string `json:"path"`  // relative to the output directory (slash separated)
	Rows  int64  `json:"rows"`  // -1: unknown
	Bytes int64  `json:"bytes"` // -1: unknown
	// ModTime (local) or ETag (object storage) of the output as written:
	// a record applies to an output only while they still match.
	ModTime time.Time `json:"mtime,omitzero"`
	ETag    string    `json:"etag,omitempty"`
}

// matches reports whether the output described by info is the one this
// record was written for. A record without a time or ETag matches nothing.
func (o ManifestOutput) matches(info storage.Info) bool {
	if o.ModTime.IsZero() && o.ETag == "" {
		return false
	}
	return o.Bytes == info.Size && o.ModTime.Equal(info.ModTime) && o.ETag == info.ETag
}

// Orphan is an output whose input is no longer in the set (deleted, or
// no longer matched by the arguments). Orphans are listed in the manifests
// and warned about, never deleted.
type Orphan struct {
	Input       ManifestInput  `json:"input"`  // the input it was made from, as recorded
	Output      ManifestOutput `json:"output"` // as recorded
	Fingerprint string         `json:"fingerprint"`
}

// SuccessManifest is the content of OutDir/_SUCCESS
// (schemas/manifest/success.schema.json).
type SuccessManifest struct {
	Format      string           `json:"format"`
	Version     string           `json:"version"`
	Command     string           `json:"command"`
	Parameters  json.RawMessage  `json:"parameters"`
	Fingerprint string           `json:"fingerprint"`
	ShardCount  int              `json:"shard_count"`
	SetDigest   string           `json:"set_digest"`
	Files       int              `json:"files"`
	Rows        int64            `json:"rows"` // sum of known output rows
	Inputs      []ManifestInput  `json:"inputs"`
	Outputs     []ManifestOutput `json:"outputs"`
	Orphans     []Orphan         `json:"orphans,omitempty"`
	Started     time.Time        `json:"started"`
	Finished    time.Time        `json:"finished"`
}

// ShardManifest is the content of OutDir/_shards/I-of-N.json
// (schemas/manifest/shard.schema.json); an unsharded run is shard 0 of 1.
// A run keeps it up to date while it works (Complete false) so that the
// identities of the outputs it committed survive an interruption; it is
// Complete only when every unit of the shard succeeded.
type ShardManifest struct {
	Format      string           `json:"format"`
	Version     string           `json:"version"`
	Command     string           `json:"command"`
	Parameters  json.RawMessage  `json:"parameters"`
	Fingerprint string           `json:"fingerprint"`
	ShardIndex  int              `json:"shard_index"`
	ShardCount  int              `json:"shard_count"`
	SetDigest   string           `json:"set_digest"`
	SetFiles    int              `json:"set_files"`
	Complete    bool             `json:"complete"`
	Inputs      []ManifestInput  `json:"inputs"`
	Outputs     []ManifestOutput `json:"outputs"`
	Orphans     []Orphan         `json:"orphans,omitempty"`
	Started     time.Time        `json:"started"`
	Finished    time.Time        `json:"finished"`
}

// SetDigest identifies the whole unit set of a run: sha256 over every
// unit's input path, relative output path and input size, in order. Shards
// of one job compute the same digest; a manifest left by a run over other
// files does not match.
func SetDigest(units []Unit) string {
	h := sha256.New()
	for _, u := range units {
		fmt.Fprintf(h, "%s\x00%s\x00%d\n", filepath.ToSlash(u.Input), filepath.ToSlash(u.Rel), u.Size)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

type manifestEntry struct {
	in  ManifestInput
	out ManifestOutput
}

// entryOf is the manifest entry of a written or skipped unit.
func entryOf(u *UnitReport) manifestEntry {
	in := ManifestInput{Path: filepath.ToSlash(u.Input), Size: u.Size, Rows: u.Rows}
	if u.InputID != nil {
		id := *u.InputID
		in.Size, in.Identity = id.Size, &id
	}
	return manifestEntry{
		in: in,
		out: ManifestOutput{Path: filepath.ToSlash(u.Rel), Rows: u.Rows, Bytes: u.Bytes,
			ModTime: u.OutInfo.ModTime.UTC(), ETag: u.OutInfo.ETag},
	}
}

func split(es []manifestEntry) (ins []ManifestInput, outs []ManifestOutput, rows int64) {
	sort.SliceStable(es, func(i, j int) bool { return es[i].out.Path < es[j].out.Path })
	ins, outs = make([]ManifestInput, len(es)), make([]ManifestOutput, len(es))
	for i, e := range es {
		ins[i], outs[i] = e.in, e.out
		if e.out.Rows > 0 {
			rows += e.out.Rows
		}
	}
	return ins, outs, rows
}

func marshalManifest(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func paramsJSON(p map[string]any) (json.RawMessage, error) {
	if p == nil {
		return json.RawMessage("{}"), nil
	}
	b, err := json.Marshal(p) // map keys sorted: deterministic
	if err != nil {
		return nil, Usage(fmt.Errorf("parameters are not JSON: %w", err))
	}
	return b, nil
}

// mergeShards reads the N shard manifests. When all exist, are complete
// and belong to this job (same fingerprint, set digest and shard count) it
// returns the merged _SUCCESS content, which depends only on the shard
// manifests (not on which shard merges, nor when). Otherwise it returns
// nil and the shards still missing.
func mergeShards(ctx context.Context, opt *Options, digest string, setFiles int) (*SuccessManifest, []int, error) {
	n := opt.ShardCount
	shards := make([]*ShardManifest, n)
	var missing []int
	for i := range n {
		p := ShardManifestPath(opt.OutDir, i, n)
		data, err := opt.Store.ReadFile(ctx, p)
		if errors.Is(err, fs.ErrNotExist) {
			missing = append(missing, i)
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		var sm ShardManifest
		if err := json.Unmarshal(data, &sm); err != nil {
			opt.Logger.Warn("ignoring unreadable shard manifest", "path", p, "err", err)
			missing = append(missing, i)
			continue
		}
		if sm.Format != ShardFormat || !sm.Complete || sm.ShardIndex != i || sm.ShardCount != n ||
			sm.Fingerprint != opt.Fingerprint || sm.SetDigest != digest || len(sm.Inputs) != len(sm.Outputs) {
			opt.Logger.Info("shard manifest is from another run", "path", p)
			missing = append(missing, i)
			continue
		}
		shards[i] = &sm
	}
	if len(missing) > 0 {
		return nil, missing, nil
	}
	var es []manifestEntry
	var orphans []Orphan
	started, finished := shards[0].Started, shards[0].Finished
	for _, sm := range shards {
		for j := range sm.Inputs {
			es = append(es, manifestEntry{in: sm.Inputs[j], out: sm.Outputs[j]})
		}
		orphans = append(orphans, sm.Orphans...)
		if sm.Started.Before(started) {
			started = sm.Started
		}
		if sm.Finished.After(finished) {
			finished = sm.Finished
		}
	}
	ins, outs, rows := split(es)
	if len(outs) != setFiles {
		return nil, nil, fmt.Errorf("shard manifests list %d files, the set has %d", len(outs), setFiles)
	}
	for i := 1; i < len(outs); i++ {
		if outs[i].Path == outs[i-1].Path {
			return nil, nil, fmt.Errorf("output %s is listed by two shard manifests", outs[i].Path)
		}
	}
	first := shards[0]
	return &SuccessManifest{
		Format: SuccessFormat, Version: first.Version, Command: first.Command, Parameters: first.Parameters,
		Fingerprint: first.Fingerprint, ShardCount: n, SetDigest: digest, Files: len(outs), Rows: rows,
		Inputs: ins, Outputs: outs, Orphans: uniqueOrphans(orphans), Started: started.UTC(), Finished: finished.UTC(),
	}, nil, nil
}

// uniqueOrphans sorts orphans by output path and keeps one per path.
func uniqueOrphans(os []Orphan) []Orphan {
	sort.SliceStable(os, func(i, j int) bool { return os[i].Output.Path < os[j].Output.Path })
	return slices.CompactFunc(os, func(a, b Orphan) bool { return a.Output.Path == b.Output.Path })
}
