package job

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// errNullOrder is the problem with a null in the order column.
var errNullOrder = errors.New("expected an order value, found null")

// keyString is the sequence id of row i as a string, for grouping and
// messages. ok is false for a null id.
func keyString(a arrow.Array, i int) (string, bool) {
	if a.IsNull(i) {
		return "", false
	}
	switch c := a.(type) {
	case *array.String:
		return c.Value(i), true
	case *array.LargeString:
		return c.Value(i), true
	case *array.Binary:
		return string(c.Value(i)), true
	case *array.Int64:
		return strconv.FormatInt(c.Value(i), 10), true
	case *array.Int32:
		return strconv.FormatInt(int64(c.Value(i)), 10), true
	}
	return a.ValueStr(i), true
}

// orderValues converts an order column (integers, timestamps, dates) to
// int64 in its own units.
func orderValues(a arrow.Array) ([]int64, int, error) {
	if a.NullN() == 0 {
		switch c := a.(type) {
		case *array.Int64:
			// The values are a Go slice the reader made for this array
			// alone (no allocator frees it), so they are taken, not copied.
			return c.Int64Values(), -1, nil
		case *array.Timestamp:
			vals := c.TimestampValues()
			out := make([]int64, len(vals))
			for i, v := range vals {
				out[i] = int64(v)
			}
			return out, -1, nil
		}
	}
	out := make([]int64, a.Len())
	for i := range out {
		if a.IsNull(i) {
			return nil, i, errNullOrder
		}
		switch c := a.(type) {
		case *array.Int64:
			out[i] = c.Value(i)
		case *array.Int32:
			out[i] = int64(c.Value(i))
		case *array.Timestamp:
			out[i] = int64(c.Value(i))
		case *array.Date32:
			out[i] = int64(c.Value(i))
		case *array.Date64:
			out[i] = int64(c.Value(i))
		case *array.Uint32:
			out[i] = int64(c.Value(i))
		case *array.Uint64:
			out[i] = int64(c.Value(i))
		default:
			return nil, i, fmt.Errorf("expected an integer, timestamp or date order column, found %s", a.DataType())
		}
	}
	return out, -1, nil
}

// clone copies a key out of a reused Arrow buffer.
func clone(s string) string { return strings.Clone(s) }
