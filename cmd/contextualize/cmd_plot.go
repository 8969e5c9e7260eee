package main

import (
	"context"
	"fmt"
	"runtime"

	"github.com/contextualize/contextualize/io/parquetio"
	"github.com/contextualize/contextualize/picture"
	"github.com/contextualize/contextualize/pipeline"
	"github.com/contextualize/contextualize/pipeline/job"
	"github.com/urfave/cli/v3"
)

// catPicture is the help group of plot's own flags.
const catPicture = "Picture"

// plotCommand draws what attend and smooth do to a sequence, and the
// weights files attend writes.
func plotCommand() *cli.Command {
	one := 1
	return &cli.Command{
		Name:         "plot",
		Usage:        "draw what attend or smooth does to a sequence, or an --attention-output file (PNG, SVG or HTML)",
		UsageText:    "contextualize plot attend|smooth [flags] -o FILE.png|.svg|.html INPUT, or plot weights -o FILE ATTENTION_OUTPUT.parquet",
		StopOnNthArg: &one,
		Action:       unknownCommand,
		Commands: []*cli.Command{
			{
				Name:      "attend",
				Usage:     "draw the attention weights of each head (queries by keys) and the vectors' norms before and after",
				ArgsUsage: "INPUT",
				Flags:     plotRunFlags(attendCommand()),
				Action:    func(ctx context.Context, c *cli.Command) error { return plotRun(ctx, c, "attend") },
			},
			{
				Name:      "smooth",
				Usage:     "draw raw and smoothed values over the order column",
				ArgsUsage: "INPUT",
				Flags: append(plotRunFlags(smoothCommand()), category(catPicture,
					&cli.StringFlag{Name: "channels", Value: "0-3", Usage: "`CHANNELS` to draw for d > 1: indices and ranges, e.g. 0-3 or 0,5,7"})...),
				Action: func(ctx context.Context, c *cli.Command) error { return plotRun(ctx, c, "smooth") },
			},
			{
				Name:      "weights",
				Usage:     "draw a file written by attend --attention-output",
				ArgsUsage: "ATTENTION_OUTPUT.parquet",
				Flags:     plotFlags(),
				Action: func(ctx context.Context, c *cli.Command) error {
					b, err := buildWeightsPlot(c)
					if err != nil {
						return err
					}
					return writePicture(b)
				},
			},
		},
	}
}

// plotDropped are the flags of attend and smooth that mean nothing for one
// picture (plot has its own --output).
var plotDropped = map[string]bool{
	"output": true, "output-column": true, "compression": true, "row-group-rows": true, "overwrite": true,
	"shard-index": true, "shard-count": true, "fail-fast": true, "progress": true, "allow-empty": true,
	"attention-output": true, "attention-output-limit": true,
}

// plotRunFlags are the input, run and computation flags of cmd (attend or
// smooth), which plot reads through the same functions as the run, and
// plot's own.
func plotRunFlags(cmd *cli.Command) []cli.Flag {
	var flags []cli.Flag
	for _, f := range cmd.Flags {
		switch name := f.Names()[0]; {
		case name == "average-heads": // one panel instead of one per head
			flags = append(flags, category(catPicture, f)...)
		case !plotDropped[name]:
			flags = append(flags, f)
		}
	}
	return append(flags, plotFlags()...)
}

func plotFlags() []cli.Flag {
	return category(catPicture,
		&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "the picture `FILE`: .png, .svg or .html (required)"},
		&cli.StringFlag{Name: "sequence", Usage: "the sequence `ID` to draw, as text in the key column's type (.html starts there)", DefaultText: "the first"},
		&cli.IntFlag{Name: "max-points", Value: 512, Usage: "pool longer sequences to at most `N` points (a side, for attention)"},
		&cli.IntFlag{Name: "max-sequences", Value: 10, Usage: "`N` sequences on an .html page"},
	)
}

// plotOptions are the flags every plot reads.
type plotOptions struct {
	input, output string
	format        picture.Format
	sequence      string
	hasSequence   bool
	maxPoints     int
	maxSequences  int
}

func parsePlotOptions(c *cli.Command) (plotOptions, error) {
	o := plotOptions{
		output: c.String("output"), sequence: c.String("sequence"), hasSequence: c.IsSet("sequence"),
		maxPoints: c.Int("max-points"), maxSequences: c.Int("max-sequences"),
	}
	if o.output == "" {
		return o, usageError(fmt.Errorf("plot needs -o FILE.png, FILE.svg or FILE.html"))
	}
	f, err := picture.FormatOf(o.output)
	if err != nil {
		return o, usageError(fmt.Errorf("parsing --output: %w", err))
	}
	o.format = f
	if c.NArg() != 1 {
		return o, usageError(fmt.Errorf("plot needs exactly one INPUT file, found %d arguments", c.NArg()))
	}
	o.input = c.Args().First()
	if o.maxPoints < 2 {
		return o, usageError(fmt.Errorf("parsing --max-points: expected at least 2, found %d", o.maxPoints))
	}
	if o.maxSequences < 1 {
		return o, usageError(fmt.Errorf("parsing --max-sequences: expected at least 1, found %d", o.maxSequences))
	}
	return o, nil
}

// plotBuild is a plot ready to write: its figures, what it states of
// the run, and the input's schema summary for a page.
type plotBuild struct {
	opts    plotOptions
	figures []*picture.Figure
	params  [][2]string
	schema  func() ([][]string, [][2]string, error)
}

// plotRun draws the sequences of INPUT as `attend` or `smooth` computes
// them, and writes the picture.
func plotRun(ctx context.Context, c *cli.Command, command string) error {
	b, err := buildPlot(ctx, c, command)
	if err != nil {
		return err
	}
	return writePicture(b)
}

// buildPlot computes the chosen sequences of INPUT as `attend` or
// `smooth` would, through the same flags, binding and job, and draws them.
func buildPlot(ctx context.Context, c *cli.Command, command string) (*plotBuild, error) {
	o, err := parsePlotOptions(c)
	if err != nil {
		return nil, err
	}
	var br batchRun
	var ws *weightSource
	var channels []int
	if command == "attend" {
		br, ws, err = attendRun(c)
	} else {
		br, err = smoothBatch(c)
		if err == nil {
			channels, err = parseChannels(c.String("channels"))
		}
	}
	if err != nil {
		return nil, err
	}
	schemaOpts, err := schemaOptions(c, br.defaults)
	if err != nil {
		return nil, err
	}
	limit, err := parseSize(c.String("memory-limit"))
	if err != nil {
		return nil, usageError(fmt.Errorf("parsing --memory-limit: %w", err))
	}
	workers := c.Int("workers")
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	spec := &job.Spec{
		Schema: schemaOpts, Bind: br.bind, NeedsTime: br.needsTime,
		Writer:  parquetio.WriterOptions{Compression: "none"}, // the output is not kept
		Workers: workers, Budget: pipeline.NewBudget(limit),
	}
	seqs, err := collectSequences(ctx, spec, o)
	if err != nil {
		return nil, err
	}
	b := &plotBuild{opts: o, params: plotParams(c, br, o)}
	b.schema = func() ([][]string, [][2]string, error) { return schemaSummary(o.input, schemaOpts) }
	for _, r := range seqs.results {
		var f *picture.Figure
		if command == "attend" {
			f, err = attendFigure(r, seqs.det, ws, c.Bool("average-heads"), o.maxPoints, b.params)
		} else {
			f, err = smoothFigure(r, seqs.det, channels, o.maxPoints, b.params)
		}
		if err != nil {
			return nil, err
		}
		b.figures = append(b.figures, f)
	}
	return b, nil
}
