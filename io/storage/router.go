package storage

import "context"

// Router is the Storage of a run whose names may be local paths or URLs
// (inputs in a bucket, outputs on disk, or the reverse): each call goes to
// Local for a path and to the shared Blob (For) for a URL.
type Router struct{ Local Storage }

// NewRouter returns a Router over local (nil: the OS filesystem).
func NewRouter(local Storage) *Router {
	if local == nil {
		local = NewLocal(nil)
	}
	return &Router{Local: local}
}

func (r *Router) pick(name string) Storage {
	if IsURL(name) {
		return blobs
	}
	return r.Local
}

// Open opens name where it lives.
func (r *Router) Open(ctx context.Context, name string) (Reader, error) {
	return r.pick(name).Open(ctx, name)
}

// Stat describes name where it lives.
func (r *Router) Stat(ctx context.Context, name string) (Info, error) {
	return r.pick(name).Stat(ctx, name)
}

// List lists dir where it lives.
func (r *Router) List(ctx context.Context, dir string) ([]Entry, error) {
	return r.pick(dir).List(ctx, dir)
}

// Create starts writing name where it lives.
func (r *Router) Create(ctx context.Context, name string) (Writer, error) {
	return r.pick(name).Create(ctx, name)
}

// ReadFile reads a small file where it lives.
func (r *Router) ReadFile(ctx context.Context, name string) ([]byte, error) {
	return r.pick(name).ReadFile(ctx, name)
}

// WriteFile writes a small file where it lives.
func (r *Router) WriteFile(ctx context.Context, name string, data []byte) error {
	return r.pick(name).WriteFile(ctx, name, data)
}

// Remove removes name where it lives.
func (r *Router) Remove(ctx context.Context, name string) error {
	return r.pick(name).Remove(ctx, name)
}

// Lock takes the lock name where it lives.
func (r *Router) Lock(ctx context.Context, name string) (Lock, error) {
	return r.pick(name).Lock(ctx, name)
}

// CleanTemps cleans the local targets (object storage has no temp files).
func (r *Router) CleanTemps(ctx context.Context, targets []string, keep func(string) bool) ([]string, error) {
	var local []string
	for _, t := range targets {
		if !IsURL(t) {
			local = append(local, t)
		}
	}
	if len(local) == 0 {
		return nil, nil
	}
	return r.Local.CleanTemps(ctx, local, keep)
}

// SyncDirs syncs the local directories committed into (see DirSyncer);
// object storage has none.
func (r *Router) SyncDirs(ctx context.Context) error { return SyncDirs(ctx, r.Local) }

// Resolve resolves name where it lives.
func (r *Router) Resolve(name string) (string, error) { return r.pick(name).Resolve(name) }
