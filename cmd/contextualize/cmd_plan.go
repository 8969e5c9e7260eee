package main

import (
	"context"
	"fmt"
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
		UsageText:    "contextualize plan attend|smooth [flags] INPUT...",
		StopOnNthArg: &one,
		Commands: []*cli.Command{
			sub(attendCommand(), attendBatch),
			sub(smoothCommand(), smoothBatch),
		},
		Action: unknownCommand,
	}
}

// planBatch prints what a run with these flags would do, touching nothing,
// and exits as the run would: it makes every check a run makes before it
// computes (weights and flags when parsed, then per selected unit: the
// output's fingerprint, the input's footer, layout, keys and d against the
// weights).
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
	rep := &pipeline.Report{ShardIndex: p.opts.ShardIndex, ShardCount: p.opts.ShardCount, Total: len(entries)}
	for i := range entries {
		e := &entries[i]
		if p.allShards {
			e.Selected = true
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if !e.Selected {
			continue
		}
		ur := pipeline.UnitReport{Unit: p.units[e.Index], Action: e.Action, Status: pipeline.StatusNotRun}
		switch e.Action {
		case pipeline.ActionSkip:
			continue
		case pipeline.ActionInvalid: // a directory entry that cannot be read fails alone, as in a run
			ur.Status, ur.Err = pipeline.StatusFailed, pipeline.InputError(fmt.Errorf("input %s: %s", e.Input, e.Detail))
		case pipeline.ActionDiffers:
			ur.Status, ur.Err = pipeline.StatusFailed, usageError(fmt.Errorf("output %s exists, made with other parameters (%s): use --overwrite or another -o", e.Output, e.Detail))
		default:
			chk, err := p.spec.Check(p.units[e.Index], p.opts.MemoryLimit)
			e.Rows = chk.Rows
			if chk.Interleaved {
				e.Sequences, e.SpillBytes = "interleaved", chk.SpillBytes
				if chk.SpillBytes > 0 {
					logger.Info("sequences interleaved: a run will group them through temp disk", "input", e.Input,
						"bytes_in_memory", chk.GroupBytes, "memory_limit", p.opts.MemoryLimit, "temp_bytes", chk.SpillBytes)
				} else {
					logger.Info("sequences interleaved: a run will group them in memory", "input", e.Input, "bytes", chk.GroupBytes)
				}
			}
			if err != nil {
				e.Action, e.Detail = pipeline.ActionInvalid, err.Error()
				ur.Status, ur.Err = pipeline.StatusFailed, err
			}
		}
		if ur.Err != nil {
			logger.Error("a run would fail this input", "input", e.Input, "err", ur.Err)
		}
		rep.Units = append(rep.Units, ur)
	}
	if err := printPlan(c, entries, p.opts.ShardCount); err != nil {
		return err
	}
	if rep.Failed() > 0 {
		logger.Error("plan: a run would fail", "failed", rep.Failed(), "exit_code", pipeline.ExitCode(rep, nil))
		return &runError{report: rep}
	}
	return nil
}

func printPlan(c *cli.Command, entries []pipeline.PlanEntry, shards int) error {
	w := c.Root().Writer
	if c.Bool("json") {
		return pipeline.WritePlanJSON(w, entries)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "UNIT\tSHARD\tSELECTED\tACTION\tROWS\tINPUT\tOUTPUT")
	for _, e := range entries {
		fmt.Fprintf(tw, "%d\t%d/%d\t%v\t%s\t%d\t%s\t%s\n", e.Index, e.Shard, shards, e.Selected, e.Action, e.Rows, e.Input, e.Output)
	}
	return tw.Flush()
}
