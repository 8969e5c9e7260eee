package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/contextualize/contextualize/io/storage"
	"github.com/contextualize/contextualize/picture"
	"github.com/contextualize/contextualize/schemas"
	"github.com/urfave/cli/v3"
)

// plotParams are the parameters a picture states: the computation's (as
// the run records them) and the plot's own.
func plotParams(c *cli.Command, br batchRun, o plotOptions) [][2]string {
	var out [][2]string
	for k, v := range br.params {
		s := fmt.Sprint(v)
		if k == "weights" {
			s = c.String("weights") // the path, not its hash
		}
		if d, ok := paramDefaults[[2]string{k, s}]; ok {
			s = d
		}
		if s != "" {
			out = append(out, [2]string{k, s})
		}
	}
	if br.command == "attend" {
		out = append(out, [2]string{"average-heads", fmt.Sprint(c.Bool("average-heads"))})
	} else {
		out = append(out, [2]string{"channels", c.String("channels")})
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return append([][2]string{{"command", br.command}, {"input", o.input}}, append(out, [2]string{"max-points", fmt.Sprint(o.maxPoints)})...)
}

// paramDefaults says what the run's sentinel values mean, for people.
var paramDefaults = map[[2]string]string{
	{"scale", "0"}:   "1/sqrt(d/heads)",
	{"window", "-1"}: "none",
	{"radius", "-1"}: "int(truncate*sigma+0.5)",
}

// paramLine is the parameters on one line, under a picture's title.
func paramLine(params [][2]string) string {
	parts := make([]string, 0, len(params))
	for _, p := range params {
		if p[0] != "command" && p[0] != "max-points" {
			parts = append(parts, p[0]+"="+p[1])
		}
	}
	return strings.Join(parts, "  ")
}

// writePicture writes the first figure as PNG or SVG, or every figure on
// an HTML page with the parameters and the input's schema; the file
// appears whole or not at all.
func writePicture(b *plotBuild) error {
	o, figures := b.opts, b.figures
	if err := os.MkdirAll(filepath.Dir(o.output), 0o755); err != nil {
		return fmt.Errorf("creating the directory of %s: %w", o.output, err)
	}
	af, err := storage.CreateAtomic(storage.OS(), o.output)
	if err != nil {
		return fmt.Errorf("creating %s: %w", o.output, err)
	}
	switch o.format {
	case picture.PNG:
		err = figures[0].WritePNG(af)
	case picture.SVG:
		err = figures[0].WriteSVG(af)
	default:
		page := picture.Page{Title: "contextualize plot: " + o.input, Params: b.params, Figures: figures}
		var more [][2]string
		if page.Schema, more, err = b.schema(); err == nil {
			page.Params = append(page.Params, more...)
			err = page.WriteHTML(af)
		}
	}
	if err != nil {
		af.Abort()
		return fmt.Errorf("writing %s: %w", o.output, err)
	}
	if err := af.Commit(); err != nil {
		return fmt.Errorf("writing %s: %w", o.output, err)
	}
	return nil
}

// schemaSummary describes the input as inspect does: a table of its
// columns and their roles, and its layout, size and sequences.
func schemaSummary(path string, opts schemas.Options) ([][]string, [][2]string, error) {
	rep, err := inspectFile(path, opts)
	if err != nil {
		return nil, nil, err
	}
	roles := map[string]string{rep.Value: "values", rep.SeqColumn: "sequence id", rep.OrderCol: "order", rep.TimeCol: "time"}
	table := [][]string{{"column", "type", "role"}}
	for _, col := range rep.Columns {
		table = append(table, []string{col.Name, col.Type, roles[col.Name]})
	}
	info := [][2]string{
		{"layout", fmt.Sprintf("%s (%s)", rep.Layout, rep.Reason)},
		{"values", fmt.Sprintf("%s, %s, d = %d", rep.Value, rep.Type, rep.D)},
		{"rows", fmt.Sprintf("%d in %d row groups", rep.Rows, rep.RowGroups)},
		{"sequences", fmt.Sprint(rep.Sequences)},
	}
	return table, info, nil
}
