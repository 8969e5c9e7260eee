package main

import (
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/contextualize/contextualize/pipeline"
	"github.com/urfave/cli/v2"
)

// execBatch parses a batch command's flags into a batchRun and hands it
// to exec: runBatch for attend and smooth, planBatch for plan.
func execBatch(c *cli.Context, parse func(*cli.Context) (batchRun, error), exec func(*cli.Context, batchRun) error) error {
	br, err := parse(c)
	if err != nil {
		return err
	}
	return exec(c, br)
}

func planCommand() *cli.Command {
	sub := func(cmd *cli.Command, parse func(*cli.Context) (batchRun, error)) *cli.Command {
		cmd.Usage = "dry run of " + cmd.Name + ": the work units, their shard and what would be done"
		cmd.Flags = append(cmd.Flags, &cli.BoolFlag{Name: "json", Usage: "a JSON array (schemas/manifest/plan.schema.json), e.g. for Argo withParam"})
		cmd.Action = func(c *cli.Context) error { return execBatch(c, parse, planBatch) }
		return cmd
	}
	return &cli.Command{
		Name:  "plan",
		Usage: "dry run: the work units, their shard, skip decisions (plan attend|smooth [flags] INPUT...)",
		Subcommands: []*cli.Command{
			sub(attendCommand(), attendBatch),
			sub(smoothCommand(), smoothBatch),
		},
		OnUsageError: onUsageError,
		Action: func(c *cli.Context) error {
			return usageError(fmt.Errorf("plan needs the command to plan: plan attend [flags] INPUT... or plan smooth [flags] INPUT..."))
		},
	}
}

// planBatch prints what a run with these flags would do, touching nothing.
func planBatch(c *cli.Context, br batchRun) error {
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
