package main

import (
	"fmt"

	"github.com/contextualize/contextualize/io/parquetio"
)

// largestPage prints the largest uncompressed page of column's chunks in
// path, in MiB rounded up (SPEC v2's memory bound adds it to the limit).
func largestPage(path, column string) error {
	f, err := parquetio.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	largest, err := f.LargestPage(column)
	if err != nil {
		return err
	}
	fmt.Println((largest + 1<<20 - 1) >> 20)
	return nil
}
