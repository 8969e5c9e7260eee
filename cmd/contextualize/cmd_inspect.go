package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/contextualize/contextualize/io/parquetio"
	"github.com/contextualize/contextualize/schemas"
	"github.com/urfave/cli/v2"
)

func inspectCommand() *cli.Command {
	return &cli.Command{
		Name:      "inspect",
		Usage:     "show schema, row groups, rows, detected layout, d and sequence count",
		ArgsUsage: "FILE...",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "one JSON object per file"},
			&cli.StringFlag{Name: "layout", Value: "auto", Usage: "auto, long or nested"},
			&cli.StringFlag{Name: "column", Usage: "value column (default value, else embedding)"},
			&cli.StringFlag{Name: "sequence-column", Usage: "sequence id column"},
			&cli.StringFlag{Name: "order-column", Usage: "order column"},
			&cli.StringFlag{Name: "time-column", Usage: "time column (nested layout)"},
		},
		OnUsageError: onUsageError,
		Action:       inspectAction,
	}
}

// fileReport is what inspect says of one file.
type fileReport struct {
	File      string   `json:"file"`
	Writer    string   `json:"writer"`
	Rows      int64    `json:"rows"`
	RowGroups int      `json:"row_groups"`
	Columns   []column `json:"columns"`
	Layout    string   `json:"layout"`
	Reason    string   `json:"reason"`
	Value     string   `json:"value_column"`
	Type      string   `json:"value_type"`
	D         int      `json:"d"`
	Sequences int64    `json:"sequences"`
	SeqColumn string   `json:"sequence_column,omitempty"`
	OrderCol  string   `json:"order_column,omitempty"`
	TimeCol   string   `json:"time_column,omitempty"`
}

type column struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

func inspectAction(c *cli.Context) error {
	if c.NArg() == 0 {
		return usageError(fmt.Errorf("inspect needs at least one FILE"))
	}
	opts, err := schemaOptions(c, []string{"value", "embedding"})
	if err != nil {
		return err
	}
	for _, path := range c.Args().Slice() {
		rep, err := inspectFile(path, opts)
		if err != nil {
			return err
		}
		if c.Bool("json") {
			b, _ := json.Marshal(rep)
			fmt.Fprintln(os.Stdout, string(b))
			continue
		}
		printReport(os.Stdout, rep)
	}
	return nil
}

func inspectFile(path string, opts schemas.Options) (*fileReport, error) {
	f, err := parquetio.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rep := &fileReport{File: path, Writer: f.CreatedBy(), Rows: f.NumRows(), RowGroups: f.NumRowGroups()}
	for _, col := range f.Columns() {
		rep.Columns = append(rep.Columns, column{Name: col.Name, Type: describeColumn(col)})
	}
	det, err := schemas.Detect(path, f.Columns(), opts)
	if err != nil {
		return nil, err
	}
	rep.Layout, rep.Reason, rep.Value, rep.Type, rep.D = string(det.Layout), det.Reason, det.Value.Name, det.Value.Elem.String(), det.D
	if det.Sequence != nil {
		rep.SeqColumn = det.Sequence.Name
	}
	if det.Order != nil {
		rep.OrderCol = det.Order.Name
	}
	if det.Time != nil {
		rep.TimeCol = det.Time.Name
	}
	if rep.D, rep.Sequences, err = countSequences(f, det); err != nil {
		return nil, err
	}
	return rep, nil
}

// countSequences reads what the schema does not say: d and the number of
// sequences.
func countSequences(f *parquetio.File, det schemas.Detected) (int, int64, error) {
	d := det.D
	var seqs int64
	last, have := "", false
	for rg := 0; rg < f.NumRowGroups(); rg++ {
		if d == 0 && f.RowGroupRows(rg) > 0 {
			chunk, err := f.ReadValues(rg, parquetio.ReadSpec{Column: det.Value.Name, Nesting: det.Nesting()}, nil)
			if err != nil {
				return 0, 0, err
			}
			d = chunk.D
		}
		if det.Layout == schemas.Nested {
			seqs += f.RowGroupRows(rg)
			continue
		}
		if det.Sequence == nil {
			if f.RowGroupRows(rg) > 0 {
				seqs = 1
			}
			continue
		}
		starts, keys, err := f.ReadRuns(rg, det.Sequence.Name)
		if err != nil {
			return 0, 0, err
		}
		for i, k := range keys {
			if i == 0 && starts[0] == 0 && have && k == last {
				continue // the sequence goes on from the previous row group
			}
			seqs++
		}
		if len(keys) > 0 {
			last, have = keys[len(keys)-1], true
		}
	}
	return d, seqs, nil
}

func describeColumn(c parquetio.ColumnInfo) string {
	parts := []string{c.Kind.String(), "of", c.Elem.String()}
	if c.TimeUnit != "" {
		parts = append(parts, "["+c.TimeUnit+"]")
	}
	if c.ListFlavor != "" {
		parts = append(parts, "("+c.ListFlavor+")")
	}
	if c.FixedSize > 0 {
		parts = append(parts, fmt.Sprintf("size %d", c.FixedSize))
	}
	if c.Optional {
		parts = append(parts, "optional")
	}
	return strings.Join(parts, " ")
}

func printReport(w io.Writer, r *fileReport) {
	fmt.Fprintf(w, "%s\n", r.File)
	fmt.Fprintf(w, "  writer:     %s\n", r.Writer)
	fmt.Fprintf(w, "  rows:       %d in %d row groups\n", r.Rows, r.RowGroups)
	fmt.Fprintf(w, "  columns:\n")
	for _, c := range r.Columns {
		fmt.Fprintf(w, "    %-20s %s\n", c.Name, c.Type)
	}
	fmt.Fprintf(w, "  layout:     %s (%s)\n", r.Layout, r.Reason)
	fmt.Fprintf(w, "  value:      %s, %s, d=%d\n", r.Value, r.Type, r.D)
	keys := []string{}
	for _, kv := range [][2]string{{"sequence", r.SeqColumn}, {"order", r.OrderCol}, {"time", r.TimeCol}} {
		if kv[1] != "" {
			keys = append(keys, kv[0]+"="+kv[1])
		}
	}
	if len(keys) == 0 {
		keys = []string{"(none)"}
	}
	fmt.Fprintf(w, "  keys:       %s\n", strings.Join(keys, ", "))
	fmt.Fprintf(w, "  sequences:  %d\n", r.Sequences)
}
