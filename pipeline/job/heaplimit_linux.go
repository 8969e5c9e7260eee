package job

import (
	"bytes"
	"os"
	"strconv"
)

// residentFileBytes is the process's resident file-backed and shared
// memory (the third field of /proc/self/statm, in pages): on this binary,
// mostly its own text and tables. 0 when it cannot be read.
func residentFileBytes() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := bytes.Fields(b)
	if len(f) < 3 {
		return 0
	}
	pages, err := strconv.ParseInt(string(f[2]), 10, 64)
	if err != nil {
		return 0
	}
	return pages * int64(os.Getpagesize())
}
