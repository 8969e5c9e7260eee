package storage

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// DirSyncer is a Storage whose Commit may leave the durability of the
// committed names to a later SyncDirs: the files themselves are synced
// before their rename as always (a name never points at a partial file,
// even after a crash), but the directory entries may be lost in a crash
// until SyncDirs returns. Callers sync before recording the outputs
// anywhere (a manifest, _SUCCESS).
type DirSyncer interface {
	// SyncDirs syncs every directory renamed into since the last call
	// (and their parents up to the batch root, for new directories), once
	// each. When it returns nil, every name committed before the call is
	// durable.
	SyncDirs(ctx context.Context) error
}

// SyncDirs calls st's SyncDirs when it has one (a Storage whose commits
// are durable at once has nothing to do).
func SyncDirs(ctx context.Context, st Storage) error {
	if ds, ok := st.(DirSyncer); ok {
		return ds.SyncDirs(ctx)
	}
	return nil
}

// NewBatchLocal returns a Local whose Create commits leave their directory
// sync to SyncDirs, which then syncs each directory once however many
// files were renamed into it: a run over 2,000 hive partitions made 2,000
// directory syncs on top of the 2,000 file syncs, one per output, waiting
// on the disk for each. Directories below root (the output location) are
// synced with their parents up to root, so that the entries of new
// directories (day=2024-01-01/) are durable too. WriteFile (manifests)
// still syncs its directory at once.
func NewBatchLocal(fsys FS, root string) *Local {
	l := NewLocal(fsys)
	l.dirs = &dirBatch{fs: l.fs, root: filepath.Clean(root), pending: map[string]bool{}}
	return l
}

// dirBatch is the set of directories whose syncs are pending.
type dirBatch struct {
	fs   FS
	root string

	syncing sync.Mutex // held by SyncDirs while it syncs: a second caller waits for the first
	mu      sync.Mutex // guards pending
	pending map[string]bool
}

// add records that a file was renamed into dir.
func (b *dirBatch) add(dir string) {
	dir = filepath.Clean(dir)
	b.mu.Lock()
	defer b.mu.Unlock()
	for {
		b.pending[dir] = true
		if dir == b.root || !strings.HasPrefix(dir, b.root+string(filepath.Separator)) {
			return
		}
		dir = filepath.Dir(dir)
	}
}

// sync syncs the pending directories, deepest first. At the first error
// it stops; the directories not synced stay pending (the next call tries
// them again).
func (b *dirBatch) sync(ctx context.Context) error {
	b.syncing.Lock()
	defer b.syncing.Unlock()
	b.mu.Lock()
	dirs := make([]string, 0, len(b.pending))
	for d := range b.pending {
		dirs = append(dirs, d)
	}
	clear(b.pending)
	b.mu.Unlock()
	slices.SortFunc(dirs, func(x, y string) int {
		if dx, dy := strings.Count(x, string(filepath.Separator)), strings.Count(y, string(filepath.Separator)); dx != dy {
			return dy - dx
		}
		return strings.Compare(x, y)
	})
	for i, d := range dirs {
		err := ctx.Err()
		if err == nil {
			err = b.fs.SyncDir(d)
		}
		if err != nil {
			b.mu.Lock()
			for _, r := range dirs[i:] {
				b.pending[r] = true
			}
			b.mu.Unlock()
			return fmt.Errorf("syncing directory %s: %w", d, err)
		}
	}
	return nil
}
