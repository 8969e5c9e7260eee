package main

import (
	"context"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/contextualize/contextualize/pipeline"
	"github.com/urfave/cli/v3"
)

// execBatch parses a batch command's flags into a batchRun and hands it
// to exec: runBatch for attend and smooth, planBatch for plan.
func execBatch(ctx context.Context, c *cli.Command, parse func(*cli.Command) (batchRun, error), exec func(context.Context, *cli.Command, batchRun) error) error {
	br, err := parse(c)
	if err != nil {
		return err
	}
	return exec(ctx, c, br)
}

func planCommand() *cli.Command {
	sub := func(cmd *cli.Command, parse func(*cli.Command) (batchRun, error)) *cli.Command {
		cmd.Usage = "check a run of " + cmd.Name + " without computing: its work units, shards and what would be done; exits as the run would"
		cmd.Flags = append(cmd.Flags, category(catOutput, &cli.BoolFlag{Name: "json", Usage: "print a JSON array (schemas/manifest/plan.schema.json), e.g. for Argo withParam"})...)
		cmd.Action = func(ctx context.Context, c *cli.Command) error { return execBatch(ctx, c, parse, planBatch) }
		return cmd
	}
	one := 1
	return &cli.Command{
		Name:         "plan",
		Usage:        "dry run: check the inputs, weights and outputs, list the work units, their shard and what a run would do",
		ArgsUsage:    "attend|smooth [flags] INPUT...",
		StopOnNthArg: &one,
		Commands: []*cli.Command{
			sub(attendCommand(), attendBatch),
			sub(smoothCommand(), smoothBatch),
		},
		Action: unknownCommand,
	}
}

// planBatch prints what a run with these flags would do, touching nothing.
func planBatch(ctx context.Context, c *cli.Command, br batchRun) error {
	br.planning = true
	p, err := prepare(c, br)
	if err != nil {
		return err
	}
	entries, err := pipeline.Plan(p.units, p.opts)
	if err != nil {
		return err
	}
	if p.allShards {
		for i := range entries {
			entries[i].Selected = true
		}
	}
	if c.Bool("json") {
		return pipeline.WritePlanJSON(os.Stdout, entries)
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "UNIT\tSHARD\tSELECTED\tACTION\tINPUT\tOUTPUT")
	for _, e := range entries {
		fmt.Fprintf(tw, "%d\t%d/%d\t%v\t%s\t%s\t%s\n", e.Index, e.Shard, p.opts.ShardCount, e.Selected, e.Action, e.Input, e.Output)
	}
	return tw.Flush()
}
