package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"

	"github.com/contextualize/contextualize/io/storage"
)

// record says that an output was written with a fingerprint from an input
// of a given identity. Records come from every manifest in the output
// directory (_SUCCESS and _shards/*.json, complete or not); one applies to
// an output only while the output's size and time (or ETag) are still the
// recorded ones, so a record left behind by an older run never vouches for
// an output that was rewritten since.
type record struct {
	fp  string
	in  ManifestInput
	out ManifestOutput
}

// records maps an output path (relative, slash separated) to its records.
type records map[string][]record

func (rs records) add(fp string, ins []ManifestInput, outs []ManifestOutput) {
	for i := range min(len(ins), len(outs)) {
		rs[outs[i].Path] = append(rs[outs[i].Path], record{fp: fp, in: ins[i], out: outs[i]})
	}
}

// loadRecords reads every manifest of opt.OutDir. Unreadable manifests are
// skipped with a warning (their outputs will be recomputed); failing I/O
// is an error.
func loadRecords(ctx context.Context, opt *Options) (records, error) {
	rs := records{}
	addSuccess := func(p string, data []byte) {
		var m SuccessManifest
		if err := json.Unmarshal(data, &m); err != nil || m.Format != SuccessFormat {
			opt.Logger.Warn("ignoring an unreadable manifest", "path", p, "err", err)
			return
		}
		rs.add(m.Fingerprint, m.Inputs, m.Outputs)
		for _, o := range m.Orphans {
			rs.add(o.Fingerprint, []ManifestInput{o.Input}, []ManifestOutput{o.Output})
		}
	}
	addShard := func(p string, data []byte) {
		var m ShardManifest
		if err := json.Unmarshal(data, &m); err != nil || m.Format != ShardFormat {
			opt.Logger.Warn("ignoring an unreadable manifest", "path", p, "err", err)
			return
		}
		rs.add(m.Fingerprint, m.Inputs, m.Outputs)
		for _, o := range m.Orphans {
			rs.add(o.Fingerprint, []ManifestInput{o.Input}, []ManifestOutput{o.Output})
		}
	}
	read := func(p string, add func(string, []byte)) error {
		data, err := opt.Store.ReadFile(ctx, p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil
		case err != nil:
			return IOError(fmt.Errorf("reading manifest %s: %w", p, err))
		}
		add(p, data)
		return nil
	}
	if err := read(successPath(opt), addSuccess); err != nil {
		return nil, err
	}
	shards := storage.Join(opt.OutDir, ShardsDir)
	entries, err := opt.Store.List(ctx, shards)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return rs, nil
	case err != nil:
		return nil, IOError(fmt.Errorf("listing %s: %w", shards, err))
	}
	for _, e := range entries {
		if e.Err != nil || e.IsDir || !strings.HasSuffix(storage.Base(e.Name), ".json") {
			continue
		}
		if err := read(e.Name, addShard); err != nil {
			return nil, err
		}
	}
	return rs, nil
}

// find returns the record that vouches for the output at rel as it is now
// (described by info) with fingerprint fp, or nil.
func (rs records) find(rel string, fp string, info storage.Info) *record {
	for i, r := range rs[filepath.ToSlash(rel)] {
		if r.fp == fp && r.out.matches(info) && r.in.Identity != nil {
			return &rs[filepath.ToSlash(rel)][i]
		}
	}
	return nil
}

// orphans returns the recorded outputs that still exist but whose path is
// no longer an output of the set (their input was deleted, or is no longer
// matched by the arguments): they are listed and warned about, never
// deleted.
func (rs records) orphans(ctx context.Context, opt *Options, all []Unit) ([]Orphan, error) {
	inSet := map[string]bool{}
	for _, u := range all {
		inSet[filepath.ToSlash(u.Rel)] = true
	}
	var paths []string
	for p := range rs {
		if !inSet[p] {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	var out []Orphan
	for _, p := range paths {
		info, err := opt.Store.Stat(ctx, storage.Join(opt.OutDir, filepath.FromSlash(p)))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			continue // gone: nothing to report
		case err != nil:
			return nil, IOError(fmt.Errorf("checking output %s: %w", p, err))
		}
		cands := rs[p]
		best := cands[len(cands)-1]
		for _, r := range cands {
			if r.out.matches(info) {
				best = r
				break
			}
		}
		out = append(out, Orphan{Input: best.in, Output: best.out, Fingerprint: best.fp})
	}
	return out, nil
}
