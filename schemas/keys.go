package schemas

import (
	"github.com/contextualize/contextualize/io/parquetio"
)

// bindKeys finds the sequence, order and time columns for the layout.
func (d *Detected) bindKeys(byName map[string]parquetio.ColumnInfo, opt Options) error {
	seq, err := findKey(d.File, byName, opt.SequenceColumn, []string{"sequence_id", "series_id"}, isKey, "a scalar string or integer sequence id")
	if err != nil {
		return err
	}
	d.Sequence = seq
	if d.Layout == Long {
		ord, err := findKey(d.File, byName, opt.OrderColumn, []string{"position", "timestamp"}, isOrder, "a scalar integer, timestamp or date order column")
		if err != nil {
			return err
		}
		d.Order = ord
		return nil
	}
	tm, err := findKey(d.File, byName, opt.TimeColumn, []string{"timestamp", "timestamps"}, isTimeList, "a list of timestamps or integers")
	if err != nil {
		return err
	}
	d.Time = tm
	return nil
}

// findKey returns the flag's column (which must exist and fit) or the
// first default that exists and fits; nil when there is none.
func findKey(file string, byName map[string]parquetio.ColumnInfo, flag string, defaults []string, fits func(parquetio.ColumnInfo) bool, want string) (*parquetio.ColumnInfo, error) {
	if flag != "" {
		c, ok := byName[flag]
		if !ok {
			return nil, &Error{File: file, Column: flag, Expected: want, Found: "no such column"}
		}
		if !fits(c) {
			return nil, &Error{File: file, Column: flag, Expected: want, Found: describe(c)}
		}
		return &c, nil
	}
	for _, name := range defaults {
		if c, ok := byName[name]; ok && fits(c) {
			return &c, nil
		}
	}
	return nil, nil
}

func isKey(c parquetio.ColumnInfo) bool {
	if c.Kind != parquetio.Scalar {
		return false
	}
	switch c.Elem {
	case parquetio.String, parquetio.Binary, parquetio.Int32, parquetio.Int64:
		return true
	}
	return false
}

func isOrder(c parquetio.ColumnInfo) bool {
	if c.Kind != parquetio.Scalar {
		return false
	}
	switch c.Elem {
	case parquetio.Int32, parquetio.Int64, parquetio.Timestamp, parquetio.Date:
		return true
	}
	return false
}

func isTimeList(c parquetio.ColumnInfo) bool {
	if c.Kind != parquetio.List {
		return false
	}
	switch c.Elem {
	case parquetio.Int32, parquetio.Int64, parquetio.Timestamp, parquetio.Date:
		return true
	}
	return false
}
