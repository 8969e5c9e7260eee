package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"time"

	"github.com/contextualize/contextualize/io/storage"
)

// journal keeps this shard's manifest (_shards/I-of-N.json) up to date
// while a run works: the outputs committed so far, with the identities of
// the inputs they were made from, and the orphans. It is rewritten
// atomically at most once per flushEvery as outputs are committed, and
// once more when the run ends, however it ends (a SIGKILL loses at most the
// last flushEvery of records, and those outputs are recomputed next time).
type journal struct {
	opt     *Options
	rep     *Report
	all     []Unit
	orphans []Orphan
	params  json.RawMessage
	digest  string
	path    string

	mu      sync.Mutex
	entries []manifestEntry
	commits int // outputs committed by this run
	last    time.Time
	err     error // the first failed periodic write: the run fails with it
}

func newJournal(opt *Options, rep *Report, all []Unit, orphans []Orphan) (*journal, error) {
	params, err := paramsJSON(opt.Params)
	if err != nil {
		return nil, err
	}
	return &journal{
		opt: opt, rep: rep, all: all, orphans: orphans, params: params, digest: SetDigest(all),
		path: ShardManifestPath(opt.OutDir, opt.ShardIndex, opt.ShardCount),
	}, nil
}

// add records a written or skipped unit; after a commit (flush true) the
// manifest is rewritten when it is the run's first or the last write is
// flushEvery old.
func (j *journal) add(ctx context.Context, u *UnitReport, flush bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.entries = append(j.entries, entryOf(u))
	if !flush {
		return
	}
	j.commits++
	if j.err == nil && (j.commits == 1 || j.opt.now().Sub(j.last) >= j.opt.flushEvery) {
		if err := j.writeLocked(ctx, false); err != nil {
			j.err = err
		}
	}
}

// write writes the manifest now.
func (j *journal) write(ctx context.Context, complete bool) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.writeLocked(ctx, complete); err != nil {
		return err
	}
	return j.err
}

func (j *journal) writeLocked(ctx context.Context, complete bool) error {
	// The manifest records committed outputs: their names must be durable
	// first (local outputs leave their directory syncs to this moment).
	if err := storage.SyncDirs(context.WithoutCancel(ctx), j.opt.Store); err != nil {
		return fmt.Errorf("writing %s: %w", j.path, err)
	}
	ins, outs, _ := split(append([]manifestEntry(nil), j.entries...))
	sm := ShardManifest{
		Format: ShardFormat, Version: j.opt.Version, Command: j.opt.Command, Parameters: j.params,
		Fingerprint: j.opt.Fingerprint, ShardIndex: j.opt.ShardIndex, ShardCount: j.opt.ShardCount,
		SetDigest: j.digest, SetFiles: len(j.all), Complete: complete,
		Inputs: ins, Outputs: outs, Orphans: j.orphans, Started: j.rep.Started.UTC(), Finished: j.opt.now().UTC(),
	}
	data, err := marshalManifest(sm)
	if err != nil {
		return err
	}
	// A run that stops early must not leave ctx's cancellation in the way
	// of its last record.
	if err := j.opt.Store.WriteFile(context.WithoutCancel(ctx), j.path, data); err != nil {
		return fmt.Errorf("writing %s: %w", j.path, err)
	}
	j.last = j.opt.now()
	if complete {
		j.rep.ShardManifest = j.path
	}
	return nil
}

// finish writes the complete shard manifest and, when every shard's is
// there and from this job, _SUCCESS merged from them (unless an identical
// _SUCCESS is already there: a run that only skipped leaves it as it was).
func (j *journal) finish(ctx context.Context) error {
	if err := j.write(ctx, true); err != nil {
		return err
	}
	opt := j.opt
	log := opt.Logger
	log.Info("wrote shard manifest", "path", j.path)
	merged, missing, err := mergeShards(ctx, opt, j.digest, len(j.all))
	if err != nil {
		return err
	}
	if merged == nil {
		log.Info("waiting for other shards before writing "+SuccessName, "missing", missing)
		return nil
	}
	successPath := successPath(opt)
	same, err := sameSuccess(ctx, opt, successPath, merged)
	if err != nil {
		return err
	}
	if same {
		log.Info(SuccessName+" is up to date", "path", successPath)
		return nil
	}
	data, err := marshalManifest(merged)
	if err != nil {
		return err
	}
	if err := opt.Store.WriteFile(ctx, successPath, data); err != nil {
		return err
	}
	j.rep.SuccessWritten = true
	log.Info("wrote "+SuccessName, "path", successPath, "files", merged.Files, "rows", merged.Rows)
	return nil
}

// sameSuccess reports whether path holds m already, times aside.
func sameSuccess(ctx context.Context, opt *Options, path string, m *SuccessManifest) (bool, error) {
	data, err := opt.Store.ReadFile(ctx, path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("reading %s: %w", path, err)
	}
	var old SuccessManifest
	if json.Unmarshal(data, &old) != nil {
		return false, nil
	}
	old.Started, old.Finished = m.Started, m.Finished
	a, err1 := marshalManifest(old)
	b, err2 := marshalManifest(m)
	return errors.Join(err1, err2) == nil && string(a) == string(b), nil
}
