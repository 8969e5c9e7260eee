package parquetio

import (
	"fmt"
	"strings"
)

// DataError describes bad input precisely: which file, row group, row and
// column, what was expected and what was found. RowGroup and Row are -1 when
// they do not apply (for example a missing column).
type DataError struct {
	File     string
	RowGroup int
	Row      int64 // file row index, -1 if n/a
	// Sequence is the id of the sequence the row belongs to, as text, when
	// the reader of the key columns knows it ("" otherwise).
	Sequence string
	Column   string
	Expected string
	Found    string
}

// Error formats the error as
// `data.parquet: row group 2, row 10443, sequence "s17", column "embedding": expected a vector of 384 float32 values, found 383`.
func (e *DataError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	var parts []string
	if e.RowGroup >= 0 {
		parts = append(parts, fmt.Sprintf("row group %d", e.RowGroup))
	}
	if e.Row >= 0 {
		parts = append(parts, fmt.Sprintf("row %d", e.Row))
	}
	if e.Sequence != "" {
		parts = append(parts, fmt.Sprintf("sequence %q", e.Sequence))
	}
	if e.Column != "" {
		parts = append(parts, fmt.Sprintf("column %q", e.Column))
	}
	if len(parts) > 0 {
		b.WriteString(": ")
		b.WriteString(strings.Join(parts, ", "))
	}
	b.WriteString(": expected ")
	b.WriteString(e.Expected)
	b.WriteString(", found ")
	b.WriteString(e.Found)
	return b.String()
}
