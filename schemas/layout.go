package schemas

import (
	"fmt"
	"strings"

	"github.com/contextualize/contextualize/io/parquetio"
)

// Layout is the shape of an input file: one row per element or one row per
// sequence.
type Layout string

// The layouts of the SPEC.
const (
	Auto   Layout = "auto"
	Long   Layout = "long"
	Nested Layout = "nested"
)

// ParseLayout checks a --layout flag value.
func ParseLayout(s string) (Layout, error) {
	switch Layout(s) {
	case "", Auto:
		return Auto, nil
	case Long, Nested:
		return Layout(s), nil
	}
	return "", fmt.Errorf("parsing --layout: expected auto, long or nested, found %q", s)
}

// Options are the user's column choices; empty names take the defaults.
type Options struct {
	Layout         Layout
	Column         string   // value column; "" tries DefaultColumns in order
	DefaultColumns []string // e.g. {"embedding"} for attend, {"value", "embedding"} for smooth
	SequenceColumn string   // "" tries sequence_id, then series_id
	OrderColumn    string   // "" tries position, then timestamp
	TimeColumn     string   // nested layout: list of timestamps; "" tries timestamp, then timestamps
}

// Detected is the layout of one file and the columns that play each role.
type Detected struct {
	File     string
	Layout   Layout
	Reason   string               // why this layout, for inspect and logs
	Value    parquetio.ColumnInfo // the value column
	Sequence *parquetio.ColumnInfo
	Order    *parquetio.ColumnInfo // long layout only
	Time     *parquetio.ColumnInfo // nested layout only
	// D is the vector dimension when the schema fixes it (scalars: 1;
	// fixed_size_list and FLBA: their size; list<scalar> in the nested
	// layout: 1); 0 when only the data tells.
	D int
}

// Nesting is the parquetio.ReadSpec nesting for this layout.
func (d Detected) Nesting() int {
	if d.Layout == Nested {
		return 1
	}
	return 0
}

// Type is the value column's float type.
func (d Detected) Type() parquetio.ElemType { return d.Value.Elem }

// Error is a schema mismatch: the file, the column and what was expected
// and found.
type Error struct {
	File     string
	Column   string
	Expected string
	Found    string
}

func (e *Error) Error() string {
	col := ""
	if e.Column != "" {
		col = fmt.Sprintf("column %q: ", e.Column)
	}
	return fmt.Sprintf("%s: %sexpected %s, found %s", e.File, col, e.Expected, e.Found)
}

// Detect decides the layout of a file from its columns and the options.
func Detect(file string, cols []parquetio.ColumnInfo, opt Options) (Detected, error) {
	byName := make(map[string]parquetio.ColumnInfo, len(cols))
	for _, c := range cols {
		byName[c.Name] = c
	}
	det := Detected{File: file}
	value, err := pickValue(file, cols, byName, opt)
	if err != nil {
		return det, err
	}
	det.Value = value
	if err := checkFloat(file, value); err != nil {
		return det, err
	}
	layout, reason, err := chooseLayout(file, value, byName, opt)
	if err != nil {
		return det, err
	}
	det.Layout, det.Reason = layout, reason
	if err := det.bindKeys(byName, opt); err != nil {
		return det, err
	}
	det.D = fixedD(value, layout)
	return det, nil
}

func pickValue(file string, cols []parquetio.ColumnInfo, byName map[string]parquetio.ColumnInfo, opt Options) (parquetio.ColumnInfo, error) {
	candidates := opt.DefaultColumns
	if opt.Column != "" {
		candidates = []string{opt.Column}
	}
	for _, name := range candidates {
		if c, ok := byName[name]; ok {
			return c, nil
		}
	}
	return parquetio.ColumnInfo{}, &Error{
		File:     file,
		Expected: "a value column named " + quoteList(candidates, " or "),
		Found:    "columns " + columnList(cols),
	}
}

func checkFloat(file string, c parquetio.ColumnInfo) error {
	if c.Elem.IsFloat() {
		if c.Kind != parquetio.Other {
			return nil
		}
	}
	return &Error{
		File:     file,
		Column:   c.Name,
		Expected: "float16, float32 or float64 values as a scalar, a list, a list of lists or FIXED_LEN_BYTE_ARRAY",
		Found:    describe(c),
	}
}

func chooseLayout(file string, v parquetio.ColumnInfo, byName map[string]parquetio.ColumnInfo, opt Options) (Layout, string, error) {
	switch v.Kind {
	case parquetio.Scalar:
		if opt.Layout == Nested {
			return "", "", &Error{File: file, Column: v.Name, Expected: "a list column for --layout nested", Found: describe(v)}
		}
		return Long, "the value column holds scalars: one element per row", nil
	case parquetio.ListOfList:
		if opt.Layout == Long {
			return "", "", &Error{File: file, Column: v.Name, Expected: "a scalar or a vector per row for --layout long", Found: describe(v)}
		}
		return Nested, "the value column is a list of lists: one sequence of vectors per row", nil
	}
	// A list of scalars: a vector per row (long) or a series per row (nested).
	switch opt.Layout {
	case Long:
		return Long, "--layout long: each row's list is one vector", nil
	case Nested:
		if v.ListFlavor == "flba" {
			return "", "", &Error{File: file, Column: v.Name, Expected: "a list column for --layout nested", Found: describe(v)}
		}
		return Nested, "--layout nested: each row's list is one series", nil
	}
	if v.ListFlavor == "flba" || v.ListFlavor == "fixed_size_list" {
		return Long, "the value column holds fixed-size vectors: one element per row", nil
	}
	if name, ok := orderName(byName, opt); ok {
		return Long, fmt.Sprintf("the value column is a list of scalars and the file has the order column %q: one vector per row", name), nil
	}
	return Nested, "the value column is a list of scalars and the file has no order column: one series per row", nil
}

// orderName is the order column the file has, if any: the flag's (which
// makes the file long whatever its type: bindKeys then checks it), or a
// scalar named position or timestamp (of any type: one that cannot be used
// is an error, not a reason to read the file as nested). A list named
// timestamp is a nested time column, not an order column.
func orderName(byName map[string]parquetio.ColumnInfo, opt Options) (string, bool) {
	if opt.OrderColumn != "" {
		return opt.OrderColumn, true
	}
	for _, n := range defaultOrderColumns {
		if c, ok := byName[n]; ok && c.Kind == parquetio.Scalar {
			return n, true
		}
	}
	return "", false
}

// fixedD is the dimension the schema alone fixes, 0 when the data decides.
func fixedD(v parquetio.ColumnInfo, layout Layout) int {
	switch {
	case v.Kind == parquetio.Scalar:
		return 1
	case v.Kind == parquetio.List && layout == Nested:
		return 1
	case v.FixedSize > 0:
		return v.FixedSize
	}
	return 0
}

func describe(c parquetio.ColumnInfo) string {
	s := c.Kind.String() + " of " + c.Elem.String()
	if c.ListFlavor != "" {
		s += " (" + c.ListFlavor + ")"
	}
	if c.PhysicalType != "" {
		s += ", physical type " + c.PhysicalType
	}
	return s
}

func columnList(cols []parquetio.ColumnInfo) string {
	if len(cols) == 0 {
		return "(none)"
	}
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	return quoteList(names, ", ")
}

func quoteList(names []string, sep string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, sep)
}
