package blobstore

import (
	"testing"
)

// TestFileBackend runs the suite on file:// URLs (gocloud.dev's fileblob):
// the package's own logic without a server.
func TestFileBackend(t *testing.T) {
	root, err := Parse("file://" + t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	store := New()
	defer store.Close()
	suite{store: store, root: root}.run(t)
}
