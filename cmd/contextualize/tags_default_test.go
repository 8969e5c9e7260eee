//go:build !purego

package main

// buildTags builds the binary under test with the tags of the test itself,
// so that the library results it is compared with use the same kernels.
const buildTags = ""
