package pipeline

import (
	"bytes"
	"testing"
)

// TestWriteBuffersReused: a buffer given back is handed out again, its
// unflushed bytes (a failed unit's) dropped, writing only to its new file.
func TestWriteBuffersReused(t *testing.T) {
	var failed, next bytes.Buffer
	bw := getWriteBuffer(&failed)
	bw.WriteString("half a failed output")
	putWriteBuffer(bw)
	again := getWriteBuffer(&next)
	defer putWriteBuffer(again)
	if again != bw {
		t.Fatal("a fresh buffer was made although one was free")
	}
	if again.Buffered() != 0 || again.Available() != writeBuffer {
		t.Fatalf("reused buffer holds %d bytes, has %d free; want 0 and %d", again.Buffered(), again.Available(), writeBuffer)
	}
	again.WriteString("next output")
	if err := again.Flush(); err != nil {
		t.Fatal(err)
	}
	if failed.Len() != 0 || next.String() != "next output" {
		t.Fatalf("failed unit's file got %q, next got %q", failed.String(), next.String())
	}
}
