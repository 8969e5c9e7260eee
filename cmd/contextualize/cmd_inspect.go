package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/contextualize/contextualize/io/parquetio"
	"github.com/contextualize/contextualize/io/storage"
	"github.com/contextualize/contextualize/pipeline"
	"github.com/contextualize/contextualize/pipeline/job"
	"github.com/contextualize/contextualize/schemas"
	"github.com/parquet-go/parquet-go"
	"github.com/urfave/cli/v3"
)

func inspectCommand() *cli.Command {
	return &cli.Command{
		Name:      "inspect",
		Usage:     "show the physical schema, row groups, rows, detected layout, d and sequence count of files, directories or globs",
		ArgsUsage: "FILE|DIR|GLOB...",
		Flags: concat(
			category(catOutput, &cli.BoolFlag{Name: "json", Usage: "print one JSON document: {\"files\": [...]}"}),
			category(catInput,
				&cli.StringFlag{Name: "layout", Value: "auto", Usage: "auto, long or nested"},
				&cli.StringFlag{Name: "column", Usage: "value `COLUMN` (default: value, else embedding)"},
				&cli.StringFlag{Name: "sequence-column", Usage: "sequence id `COLUMN` (default: sequence_id, else series_id)"},
				&cli.StringFlag{Name: "order-column", Usage: "order `COLUMN` (default: position, else timestamp)"},
				&cli.StringFlag{Name: "time-column", Usage: "`COLUMN` of timestamp lists (nested layout; default: none)"},
			),
		),
		Action: inspectAction,
	}
}

// inspectDoc is the document of inspect --json.
type inspectDoc struct {
	Files []any `json:"files"`
}

// fileReport is what inspect says of one Parquet file: its physical schema
// always, the rest when the layout could be detected (else Error says why).
type fileReport struct {
	File      string     `json:"file"`
	Writer    string     `json:"writer"`
	Rows      int64      `json:"rows"`
	RowGroups int        `json:"row_groups"`
	Physical  []physical `json:"physical_schema"`
	Schema    string     `json:"-"` // the Parquet schema as text
	Columns   []column   `json:"columns"`
	Error     string     `json:"error,omitempty"`
	Layout    string     `json:"layout,omitempty"`
	Reason    string     `json:"reason,omitempty"`
	Value     string     `json:"value_column,omitempty"`
	Type      string     `json:"value_type,omitempty"`
	D         int        `json:"d,omitempty"`
	Sequences int64      `json:"sequences,omitempty"`
	SeqColumn string     `json:"sequence_column,omitempty"`
	OrderCol  string     `json:"order_column,omitempty"`
	TimeCol   string     `json:"time_column,omitempty"`
	// Keys are the columns taken, or named, as keys: type and usability.
	Keys []schemas.KeyColumn `json:"key_columns,omitempty"`
	// Arrangement (long layout with ids) is "contiguous" (the rows of each
	// sequence together, in order), "grouped, unsorted" (together, not in
	// order-column order) or "interleaved" (an id comes back after another).
	Arrangement string `json:"arrangement,omitempty"`
}

// physical is one leaf column of the Parquet schema.
type physical struct {
	Path       string `json:"path"`
	Type       string `json:"type"`
	Logical    string `json:"logical,omitempty"`
	Repetition string `json:"repetition"`
}

type column struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// inspected is the report on one file, printable as text.
type inspected interface {
	print(w io.Writer)
}

func inspectAction(ctx context.Context, c *cli.Command) error {
	if c.NArg() == 0 {
		return &cliUsageError{cmd: c, err: fmt.Errorf("inspect needs at least one FILE, directory or glob")}
	}
	opts, err := schemaOptions(c, []string{"value", "embedding"})
	if err != nil {
		return err
	}
	units, err := pipeline.Inputs(c.Args().Slice())
	if err != nil {
		return err
	}
	var doc inspectDoc
	var failed []error
	w := c.Root().Writer
	for i, u := range units {
		rep, err := inspectPath(u.Input, opts)
		if err != nil {
			failed = append(failed, err)
		}
		if rep == nil {
			rep = &failedReport{File: u.Input, Error: err.Error()}
		}
		if c.Bool("json") {
			doc.Files = append(doc.Files, rep)
			continue
		}
		if i > 0 {
			fmt.Fprintln(w)
		}
		rep.print(w)
	}
	if c.Bool("json") {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(doc); err != nil {
			return err
		}
	}
	return inspectFailure(failed, len(units))
}

// inspectPath inspects one file by its kind (its extension).
func inspectPath(path string, opts schemas.Options) (inspected, error) {
	switch strings.ToLower(filepath.Ext(storage.Base(path))) { // a URL's query is no extension
	case ".safetensors":
		rep, err := inspectWeights(path)
		if rep == nil {
			return nil, err
		}
		return rep, err
	default:
		rep, err := inspectFile(path, opts)
		if rep == nil {
			return nil, err
		}
		return rep, err
	}
}

// failedReport stands for a file that could not be opened at all.
type failedReport struct {
	File  string `json:"file"`
	Error string `json:"error"`
}

func (r *failedReport) print(w io.Writer) {
	fmt.Fprintf(w, "%s\n  error:      %s\n", r.File, r.Error)
}

// inspectFailure is the error of an inspect where some files failed: an I/O
// failure exits 1, anything else is bad input (exit 3). Every failure is in
// the report already.
func inspectFailure(failed []error, total int) error {
	if len(failed) == 0 {
		return nil
	}
	err := fmt.Errorf("%d of %d files could not be inspected (see their reports); the first: %v", len(failed), total, failed[0])
	for _, f := range failed {
		if pipeline.Classify(f) == pipeline.ClassIO && !isDataError(f) {
			return pipeline.IOError(err)
		}
	}
	return pipeline.InputError(err)
}

// isDataError reports whether err is about a file's contents: anything
// but a failure of the file system (as the batch commands judge it).
func isDataError(err error) bool {
	var pe *fs.PathError
	return !errors.As(err, &pe)
}

// inspectFile reports on one Parquet file. The report is nil only when the
// file cannot be opened; a layout that cannot be detected leaves the
// physical schema and the error in the report.
func inspectFile(path string, opts schemas.Options) (*fileReport, error) {
	f, err := openStored(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rep := &fileReport{File: path, Writer: f.CreatedBy(), Rows: f.NumRows(), RowGroups: f.NumRowGroups(), Physical: physicalSchema(f.Schema())}
	rep.Schema = strings.TrimSpace(f.Schema().String())
	for _, col := range f.Columns() {
		rep.Columns = append(rep.Columns, column{Name: col.Name, Type: describeColumn(col)})
	}
	fail := func(err error) (*fileReport, error) {
		rep.Error = err.Error()
		return rep, err
	}
	det, err := schemas.Detect(path, f.Columns(), opts)
	if err != nil {
		rep.Keys = schemas.KeyColumns(f.Columns(), opts, nil)
		return fail(err)
	}
	rep.Keys = schemas.KeyColumns(f.Columns(), opts, &det)
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
	if rep.D, err = readD(f, det); err != nil {
		return fail(err)
	}
	if rep.Sequences, rep.Arrangement, err = countSequences(f, det); err != nil {
		return fail(err)
	}
	return rep, nil
}

// physicalSchema lists the leaf columns of a Parquet schema: path, physical
// type, logical type and repetition.
func physicalSchema(s *parquet.Schema) []physical {
	var out []physical
	for _, path := range s.Columns() {
		leaf, ok := s.Lookup(path...)
		if !ok {
			continue
		}
		n := leaf.Node
		p := physical{Path: strings.Join(path, "."), Type: n.Type().Kind().String(), Repetition: "required"}
		if lt := n.Type().LogicalType(); lt != nil {
			p.Logical = lt.String()
		}
		if leaf.MaxRepetitionLevel > 0 {
			p.Repetition = "repeated"
		} else if leaf.MaxDefinitionLevel > 0 {
			p.Repetition = "optional"
		}
		out = append(out, p)
	}
	return out
}

// readD reads the vector width when the schema does not fix it.
func readD(f *parquetio.File, det schemas.Detected) (int, error) {
	for rg := 0; det.D == 0 && rg < f.NumRowGroups(); rg++ {
		if f.RowGroupRows(rg) > 0 {
			chunk, err := f.ReadValues(rg, parquetio.ReadSpec{Column: det.Value.Name, Nesting: det.Nesting()}, nil)
			if err != nil {
				return 0, err
			}
			return chunk.D, nil
		}
	}
	return det.D, nil
}

// countSequences counts the distinct sequences, decoding ids as a run
// does, and says how their rows are arranged (long layout with ids).
func countSequences(f *parquetio.File, det schemas.Detected) (int64, string, error) {
	if det.Layout == schemas.Nested {
		return f.NumRows(), "", nil
	}
	if det.Sequence == nil {
		return min(f.NumRows(), 1), "", nil
	}
	seen := map[string]bool{}
	last, interleaved, unsorted := "", false, false
	var prevOrder int64
	for rg := 0; rg < f.NumRowGroups(); rg++ {
		starts, keys, err := job.ReadIDRuns(f, rg, *det.Sequence)
		if err != nil {
			return 0, "", err
		}
		var order []int64
		if det.Order != nil && !unsorted && !interleaved {
			if order, err = job.ReadOrderKeys(f, rg, *det.Order); err != nil {
				return 0, "", err
			}
		}
		for i, k := range keys {
			goesOn := starts[i] == 0 && k == last && len(seen) > 0
			if !goesOn && seen[k] {
				interleaved = true
			}
			seen[k] = true
			end := int(f.RowGroupRows(rg))
			if i+1 < len(starts) {
				end = starts[i+1]
			}
			for r := starts[i]; order != nil && r < end; r++ {
				if (r > starts[i] || goesOn) && order[r] < prevOrder {
					unsorted = true
				}
				prevOrder = order[r]
			}
			last = k
		}
	}
	switch {
	case interleaved:
		return int64(len(seen)), "interleaved", nil
	case unsorted:
		return int64(len(seen)), "grouped, unsorted", nil
	}
	return int64(len(seen)), "contiguous", nil
}

func describeColumn(c parquetio.ColumnInfo) string {
	parts := []string{c.Kind.String(), "of", c.Elem.String()}
	if c.TimeUnit != "" {
		parts = append(parts, "["+c.TimeUnit+"]")
	}
	if c.Elem == parquetio.Decimal {
		parts = append(parts, fmt.Sprintf("(%d,%d)", c.Precision, c.Scale))
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

func (r *fileReport) print(w io.Writer) {
	fmt.Fprintf(w, "%s\n", r.File)
	fmt.Fprintf(w, "  writer:     %s\n", r.Writer)
	fmt.Fprintf(w, "  rows:       %d in %d row groups\n", r.Rows, r.RowGroups)
	fmt.Fprintf(w, "  physical schema:\n")
	for _, line := range strings.Split(r.Schema, "\n") {
		fmt.Fprintf(w, "    %s\n", line)
	}
	fmt.Fprintf(w, "  columns:\n")
	for _, c := range r.Columns {
		fmt.Fprintf(w, "    %-20s %s\n", c.Name, c.Type)
	}
	printKeys(w, r.Keys)
	if r.Error != "" {
		fmt.Fprintf(w, "  error:      %s\n", r.Error)
		return
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
	if r.Arrangement != "" {
		fmt.Fprintf(w, "  sequences:  %d (%s)\n", r.Sequences, r.Arrangement)
		return
	}
	fmt.Fprintf(w, "  sequences:  %d\n", r.Sequences)
}

// printKeys lists the key columns: role, type and whether they are usable.
func printKeys(w io.Writer, keys []schemas.KeyColumn) {
	if len(keys) == 0 {
		return
	}
	fmt.Fprintf(w, "  key columns:\n")
	for _, k := range keys {
		state := "usable"
		switch {
		case !k.Usable:
			state = "not usable: " + k.Note
		case k.Used:
			state = "usable, used"
		}
		fmt.Fprintf(w, "    %-20s %-12s %-22s %s\n", k.Name, k.Role, k.Type, state)
	}
}
