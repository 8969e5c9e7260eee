package attention

// SetGroupAll sets the n·3d above which heads are projected one at a time
// and returns a function restoring it.
func SetGroupAll(v int) (restore func()) {
	old := mhaGroupAll
	mhaGroupAll = v
	return func() { mhaGroupAll = old }
}
