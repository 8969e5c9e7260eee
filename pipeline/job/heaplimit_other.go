//go:build !linux

package job

// residentFileBytes is not measured outside Linux: the bound is left to
// the runtime's limit and the slabs.
func residentFileBytes() int64 { return 0 }
