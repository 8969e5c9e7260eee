package schemas

import (
	"fmt"
	"math"
	"math/big"
	"strings"

	"github.com/contextualize/contextualize/io/parquetio"
)

// Role is the part a key column plays.
type Role int

// Key roles.
const (
	// RoleSequence groups rows (long) or names rows (nested) by sequence id.
	RoleSequence Role = iota + 1
	// RoleOrder orders the elements of a sequence in the long layout.
	RoleOrder
	// RoleTime holds the times of a nested row's elements (a list).
	RoleTime
)

func (r Role) String() string {
	switch r {
	case RoleSequence:
		return "sequence id"
	case RoleOrder:
		return "order"
	case RoleTime:
		return "time list"
	}
	return fmt.Sprintf("Role(%d)", int(r))
}

// The key column names tried when no flag names one.
var (
	defaultSequenceColumns = []string{"sequence_id", "series_id"}
	defaultOrderColumns    = []string{"position", "timestamp"}
	defaultTimeColumns     = []string{"timestamp", "timestamps"}
)

// What each role accepts, for messages.
const (
	wantSequence = "a scalar integer (signed or unsigned), decimal, string, binary, UUID, date or timestamp sequence id"
	wantOrder    = "a scalar integer (signed or unsigned), decimal, float, date, time or timestamp order column"
	wantTime     = "a list of integers, decimals, floats, dates, times or timestamps"
)

func (r Role) want() string {
	switch r {
	case RoleSequence:
		return wantSequence
	case RoleOrder:
		return wantOrder
	}
	return wantTime
}

// Usable reports whether column c can play role r: the one place that
// decides which key types are accepted. The job decodes exactly these
// (pipeline/job/keys.go).
func Usable(c parquetio.ColumnInfo, r Role) bool {
	switch r {
	case RoleSequence:
		if c.Kind == parquetio.List && c.ListFlavor == "flba" {
			return true // an unannotated FIXED_LEN_BYTE_ARRAY: a binary id
		}
		if c.Kind != parquetio.Scalar {
			return false
		}
		switch c.Elem {
		case parquetio.Int32, parquetio.Int64, parquetio.Uint32, parquetio.Uint64, parquetio.Decimal,
			parquetio.String, parquetio.Binary, parquetio.FixedBytes, parquetio.UUID,
			parquetio.Date, parquetio.Timestamp:
			return true
		}
	case RoleOrder:
		return c.Kind == parquetio.Scalar && orderElem(c)
	case RoleTime:
		if c.Kind != parquetio.List || c.ListFlavor == "flba" || !orderElem(c) {
			return false
		}
		// Wide decimals (bytes) are not read as lists.
		return c.Elem != parquetio.Decimal || c.PhysicalType == "INT32" || c.PhysicalType == "INT64"
	}
	return false
}

func orderElem(c parquetio.ColumnInfo) bool {
	switch c.Elem {
	case parquetio.Int32, parquetio.Int64, parquetio.Uint32, parquetio.Uint64, parquetio.Decimal,
		parquetio.Float32, parquetio.Float64, parquetio.Date, parquetio.Time, parquetio.Timestamp:
		return true
	}
	return false
}

// FloatOrder reports whether the order values of c are floats (the job
// hands them to computers as FloatKey-encoded int64s).
func FloatOrder(c parquetio.ColumnInfo) bool {
	return c.Elem == parquetio.Float32 || c.Elem == parquetio.Float64
}

// TypeName describes a column's type for people: "uint32",
// "decimal(18,3)", "timestamp[us, UTC]", "list<date32>".
func TypeName(c parquetio.ColumnInfo) string {
	s := c.Elem.String()
	switch c.Elem {
	case parquetio.Decimal:
		s = fmt.Sprintf("decimal(%d,%d)", c.Precision, c.Scale)
	case parquetio.Timestamp, parquetio.Time:
		s += "[" + c.TimeUnit
		if c.UTC {
			s += ", UTC"
		}
		s += "]"
	}
	switch c.Kind {
	case parquetio.List:
		if c.ListFlavor == "flba" {
			return c.PhysicalType
		}
		return "list<" + s + ">"
	case parquetio.ListOfList:
		return "list<list<" + s + ">>"
	case parquetio.Other:
		return "nested group"
	}
	return s
}

// Units says how --bandwidth converts to the int64 order values the job
// hands to computers for column c.
type Units struct {
	// Duration: the column holds times; NanosPerUnit is the length of one
	// unit (a day for dates). A bandwidth must then be a duration.
	Duration     bool
	NanosPerUnit float64
	// PerNumber (when !Duration) is the number of order units in 1 of the
	// column's values: 10^scale for decimals (held unscaled), else 1.
	PerNumber float64
}

// OrderUnits returns the units of an order or time column.
func OrderUnits(c parquetio.ColumnInfo) Units {
	switch c.Elem {
	case parquetio.Date:
		return Units{Duration: true, NanosPerUnit: 86400e9}
	case parquetio.Timestamp, parquetio.Time:
		switch c.TimeUnit {
		case "ms":
			return Units{Duration: true, NanosPerUnit: 1e6}
		case "us":
			return Units{Duration: true, NanosPerUnit: 1e3}
		case "s":
			return Units{Duration: true, NanosPerUnit: 1e9}
		}
		return Units{Duration: true, NanosPerUnit: 1}
	case parquetio.Decimal:
		return Units{PerNumber: math.Pow10(c.Scale)}
	}
	return Units{PerNumber: 1}
}

// Bandwidth converts a --bandwidth (a duration in nanoseconds when
// isDuration, else the text of a plain number) to the units of det's order
// or time column. A duration needs a date, time or timestamp column; a
// number needs any other order type (in the column's own units: for a
// decimal, shifted by its scale exactly, then rounded once).
func Bandwidth(det Detected, isDuration bool, nanos int64, number string) (float64, error) {
	col := det.Order
	if det.Layout == Nested {
		col = det.Time
	}
	if col == nil {
		return 0, &Error{File: det.File, Expected: "an order or time column for --bandwidth", Found: "none"}
	}
	u := OrderUnits(*col)
	switch {
	case isDuration && !u.Duration:
		return 0, &Error{File: det.File, Column: col.Name,
			Expected: "a date, time or timestamp column for a duration --bandwidth (give a plain number for other order columns)", Found: TypeName(*col)}
	case !isDuration && u.Duration:
		return 0, &Error{File: det.File, Column: col.Name,
			Expected: "a duration --bandwidth such as 90s or 5m for a " + TypeName(*col) + " column", Found: "a plain number"}
	case isDuration:
		return float64(nanos) / u.NanosPerUnit, nil
	}
	r, ok := new(big.Rat).SetString(strings.TrimSpace(number))
	if !ok {
		return 0, fmt.Errorf("parsing --bandwidth: expected a number, found %q", number)
	}
	if col.Elem == parquetio.Decimal {
		r.Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(col.Scale)), nil)))
	}
	h, _ := r.Float64()
	return h, nil
}

// FloatKey maps a float64 to an int64 with the same order (-0 before +0):
// the job keeps float order values in this form, so that every order
// column sorts as int64. KeyFloat inverts it exactly.
func FloatKey(f float64) int64 {
	b := math.Float64bits(f)
	if b>>63 != 0 {
		return int64(^b ^ 1<<63) // negative: all bits flipped order them, the sign bit set keeps them below 0
	}
	return int64(b)
}

// KeyFloat is the float64 whose FloatKey is k.
func KeyFloat(k int64) float64 {
	if k < 0 {
		return math.Float64frombits(^(uint64(k) ^ 1<<63))
	}
	return math.Float64frombits(uint64(k))
}

// Uint64Key maps a uint64 to an int64 with the same order and the same
// differences (modulo 2^64): the job keeps uint64 order values this way.
func Uint64Key(u uint64) int64 { return int64(u ^ 1<<63) }

// bindKeys finds the sequence, order and time columns for the layout. A
// column named by a flag, or named like a key, that cannot play its role
// is an error, never skipped.
func (d *Detected) bindKeys(byName map[string]parquetio.ColumnInfo, opt Options) error {
	seq, err := findKey(d.File, byName, opt.SequenceColumn, "--sequence-column", defaultSequenceColumns, RoleSequence)
	if err != nil {
		return err
	}
	d.Sequence = seq
	if err := d.flagForLayout(opt); err != nil {
		return err
	}
	if d.Layout == Long {
		ord, err := findKey(d.File, byName, opt.OrderColumn, "--order-column", defaultOrderColumns, RoleOrder)
		if err != nil {
			return err
		}
		d.Order = ord
		return nil
	}
	// Nested: a scalar column named like a time column is a per-row value
	// (it passes through); only lists are time columns.
	defaults := []string{}
	for _, name := range defaultTimeColumns {
		if c, ok := byName[name]; ok && c.Kind != parquetio.Scalar {
			defaults = append(defaults, name)
		}
	}
	tm, err := findKey(d.File, byName, opt.TimeColumn, "--time-column", defaults, RoleTime)
	if err != nil {
		return err
	}
	d.Time = tm
	return nil
}

// flagForLayout refuses a key flag the file's layout has no use for, so
// that it is never ignored without a word: --order-column orders the rows
// of a long file, --time-column holds the times of a nested one.
func (d *Detected) flagForLayout(opt Options) error {
	switch {
	case d.Layout == Nested && opt.OrderColumn != "":
		return &Error{File: d.File, Column: opt.OrderColumn,
			Expected: "a long file for --order-column (a nested file, one sequence per row, takes its times from --time-column)",
			Found:    "a nested file: " + d.Reason}
	case d.Layout == Long && opt.TimeColumn != "":
		return &Error{File: d.File, Column: opt.TimeColumn,
			Expected: "a nested file for --time-column (a long file is ordered by --order-column)",
			Found:    "a long file: " + d.Reason}
	}
	return nil
}

// findKey returns the flag's column or the first default that exists;
// nil when there is none. The column found must be usable in the role.
func findKey(file string, byName map[string]parquetio.ColumnInfo, flag, flagName string, defaults []string, r Role) (*parquetio.ColumnInfo, error) {
	if flag != "" {
		c, ok := byName[flag]
		if !ok {
			return nil, &Error{File: file, Column: flag, Expected: fmt.Sprintf("the %s column named by %s", r, flagName), Found: "no such column"}
		}
		if !Usable(c, r) {
			return nil, &Error{File: file, Column: flag, Expected: r.want() + " (named by " + flagName + ")", Found: TypeName(c)}
		}
		return &c, nil
	}
	for _, name := range defaults {
		c, ok := byName[name]
		if !ok {
			continue
		}
		if !Usable(c, r) {
			return nil, &Error{File: file, Column: name, Expected: r.want() + " (a column named " + name + " is taken as the " + r.String() + "; rename it or name another with " + flagName + ")", Found: TypeName(c)}
		}
		return &c, nil
	}
	return nil, nil
}

// KeyColumn is one column that is, or would be taken as, a key: for
// `inspect`.
type KeyColumn struct {
	Name   string `json:"name"`
	Role   string `json:"role"`
	Type   string `json:"type"`
	Usable bool   `json:"usable"`
	Used   bool   `json:"used"` // the layout uses it
	Note   string `json:"note,omitempty"`
}

// KeyColumns lists the columns named like keys or by the flags, with their
// types and whether they can be used, whatever Detect decided.
func KeyColumns(cols []parquetio.ColumnInfo, opt Options, det *Detected) []KeyColumn {
	byName := make(map[string]parquetio.ColumnInfo, len(cols))
	for _, c := range cols {
		byName[c.Name] = c
	}
	var out []KeyColumn
	seen := map[string]bool{}
	add := func(name string, r Role, flagged bool) {
		c, ok := byName[name]
		if !ok {
			if flagged {
				out = append(out, KeyColumn{Name: name, Role: r.String(), Type: "(missing)", Note: "named by a flag, not in the file"})
			}
			return
		}
		if seen[name+"/"+r.String()] {
			return
		}
		seen[name+"/"+r.String()] = true
		k := KeyColumn{Name: name, Role: r.String(), Type: TypeName(c), Usable: Usable(c, r)}
		if det != nil {
			k.Used = used(det, name, r)
		}
		if !k.Usable {
			k.Note = "expected " + r.want()
		}
		out = append(out, k)
	}
	roles := []struct {
		flag     string
		defaults []string
		r        Role
	}{
		{opt.SequenceColumn, defaultSequenceColumns, RoleSequence},
		{opt.OrderColumn, defaultOrderColumns, RoleOrder},
		{opt.TimeColumn, defaultTimeColumns, RoleTime},
	}
	for _, role := range roles {
		if role.flag != "" {
			add(role.flag, role.r, true)
			continue
		}
		for _, n := range role.defaults {
			if c, ok := byName[n]; ok {
				// A scalar is an order column, a list a time column.
				if (role.r == RoleTime) != (c.Kind != parquetio.Scalar) {
					continue
				}
			}
			add(n, role.r, false)
		}
	}
	return out
}

func used(det *Detected, name string, r Role) bool {
	var c *parquetio.ColumnInfo
	switch r {
	case RoleSequence:
		c = det.Sequence
	case RoleOrder:
		c = det.Order
	case RoleTime:
		c = det.Time
	}
	return c != nil && c.Name == name
}
