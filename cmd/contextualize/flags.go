package main

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/urfave/cli/v3"
)

// Flag categories: the groups of a command's --help. Every flag of a batch
// command belongs to one (urfave/cli lists the groups by name).
const (
	catInput       = "Input"
	catComputation = "Computation"
	catOutput      = "Output"
	catRun         = "Run"
	catLogging     = "Logging"
)

// batchFlags are the flags of every command that reads inputs and writes
// outputs (attend, smooth, and plan of either), by group; column is the
// default value column as help states it. A command adds its computation
// flags with computationFlags.
func batchFlags(column string) []cli.Flag {
	return concat(inputFlags(column), outputFlags(), runFlags())
}

// concat joins flag groups.
func concat(groups ...[]cli.Flag) []cli.Flag {
	var all []cli.Flag
	for _, g := range groups {
		all = append(all, g...)
	}
	return all
}

// inputFlags say which columns to read and how inputs are found.
func inputFlags(column string) []cli.Flag {
	return category(catInput,
		&cli.StringFlag{Name: "layout", Value: "auto", Usage: "auto, long or nested (auto: see inspect)", Sources: envs("layout")},
		&cli.StringFlag{Name: "column", Usage: "value `COLUMN`", DefaultText: column, Sources: envs("column")},
		&cli.StringFlag{Name: "sequence-column", Usage: "sequence id `COLUMN` (long layout; default: sequence_id, else series_id)", Sources: envs("sequence-column")},
		&cli.StringFlag{Name: "order-column", Usage: "order `COLUMN` (long layout; default: position, else timestamp, else file order)", Sources: envs("order-column")},
		&cli.StringFlag{Name: "time-column", Usage: "`COLUMN` of timestamp lists (nested layout; default: none)", Sources: envs("time-column")},
		&cli.BoolFlag{Name: "allow-empty", Usage: "succeed when the inputs hold no files (default: exit 2, a typo is likelier)", Sources: envs("allow-empty")},
	)
}

// outputFlags say where and how outputs are written.
func outputFlags() []cli.Flag {
	return category(catOutput,
		&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "output `DIR` (required)", Sources: envs("output")},
		&cli.StringFlag{Name: "output-column", Usage: "write results to a new column `NAME` (default: replace the value column)", Sources: envs("output-column")},
		&cli.StringFlag{Name: "output-type", Usage: "widen the output values to float32 or float64 (default: the input's type; never narrows)", Sources: envs("output-type")},
		&cli.StringFlag{Name: "compression", Value: "zstd", Usage: "codec of the computed columns: zstd, snappy, gzip, lz4 or none (passthrough columns keep theirs)", Sources: envs("compression")},
		&cli.IntFlag{Name: "row-group-rows", Usage: "rows per output row group", DefaultText: "as the input", Sources: envs("row-group-rows")},
		&cli.BoolFlag{Name: "overwrite", Usage: "replace existing outputs (default: skip up-to-date ones, refuse others)", Sources: envs("overwrite")},
	)
}

// runFlags say how the run is scheduled.
func runFlags() []cli.Flag {
	return category(catRun,
		&cli.IntFlag{Name: "workers", Usage: "parallel `N`; output bytes do not depend on it", DefaultText: "GOMAXPROCS", Sources: envs("workers")},
		&cli.StringFlag{Name: "memory-limit", Value: "1GiB", Usage: "bound on data in flight: `SIZE` like 512Mi, 1GiB (binary) or 512M, 2GB (decimal)", Sources: envs("memory-limit")},
		&cli.StringFlag{Name: "temp-dir", Usage: "local `DIR` where files whose sequences are interleaved spill when grouping them exceeds --memory-limit", DefaultText: "the OS temp dir", Sources: envs("temp-dir")},
		&cli.IntFlag{Name: "shard-index", Value: -1, Usage: "process only shard `I` of --shard-count", DefaultText: "$JOB_COMPLETION_INDEX, else 0", Sources: envs("shard-index")},
		&cli.IntFlag{Name: "shard-count", Usage: "number of shards `N`", DefaultText: "1, unsharded", Sources: envs("shard-count")},
		&cli.BoolFlag{Name: "fail-fast", Usage: "stop at the first failed input (default: finish the others, exit 3)", Sources: envs("fail-fast")},
		&cli.StringFlag{Name: "progress", Value: "auto", Usage: "auto (bars on a terminal, log records otherwise), always (bars) or never (log records); records only under --log-format json", Sources: envs("progress")},
	)
}

// computationFlags puts a command's own flags in the computation group.
func computationFlags(flags ...cli.Flag) []cli.Flag { return category(catComputation, flags...) }

// category sets the help group of flags.
func category(name string, flags ...cli.Flag) []cli.Flag {
	for _, f := range flags {
		switch f := f.(type) {
		case *cli.StringFlag:
			f.Category = name
		case *cli.IntFlag:
			f.Category = name
		case *cli.Int64Flag:
			f.Category = name
		case *cli.Uint64Flag:
			f.Category = name
		case *cli.FloatFlag:
			f.Category = name
		case *cli.BoolFlag:
			f.Category = name
		default:
			panic(fmt.Sprintf("category: flag type %T not handled", f))
		}
	}
	return flags
}

// envs is the environment variable a flag also reads: CONTEXTUALIZE_<FLAG>.
func envs(flag string) cli.ValueSourceChain {
	return cli.EnvVars(envName(flag))
}

func envName(flag string) string {
	return "CONTEXTUALIZE_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// finite reads a float flag that must be a finite number (every float flag
// but --cval): NaN or ±Inf is a usage error.
func finite(c *cli.Command, name string) (float64, error) {
	v := c.Float(name)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, usageError(fmt.Errorf("parsing --%s: expected a finite number, found %v", name, v))
	}
	return v, nil
}

// jsonFloat is v as JSON can hold it: the number, or "NaN", "+Inf", "-Inf".
func jsonFloat(v float64) any {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	return v
}

// sizeUnits are the multipliers of parseSize, by lower-case suffix: SI
// suffixes are decimal and IEC ones binary, as in Kubernetes quantities.
var sizeUnits = map[string]float64{
	"": 1, "b": 1,
	"k": 1e3, "kb": 1e3, "ki": 1 << 10, "kib": 1 << 10,
	"m": 1e6, "mb": 1e6, "mi": 1 << 20, "mib": 1 << 20,
	"g": 1e9, "gb": 1e9, "gi": 1 << 30, "gib": 1 << 30,
	"t": 1e12, "tb": 1e12, "ti": 1 << 40, "tib": 1 << 40,
	"p": 1e15, "pb": 1e15, "pi": 1 << 50, "pib": 1 << 50,
}

var sizePattern = regexp.MustCompile(`^\s*([0-9]+(?:\.[0-9]*)?(?:[eE][0-9]+)?)\s*([A-Za-z]*)\s*$`)

// parseSize reads a byte size: 1048576, 512M or 2GB (decimal: 10⁶, 10⁹),
// 512Mi or 512MiB (binary: 2²⁰). Suffixes are case-insensitive.
func parseSize(s string) (int64, error) {
	m := sizePattern.FindStringSubmatch(s)
	if m != nil {
		v, err := strconv.ParseFloat(m[1], 64)
		mult, ok := sizeUnits[strings.ToLower(m[2])]
		if err == nil && ok && v > 0 && v*mult >= 1 && v*mult < math.MaxInt64 {
			return int64(v * mult), nil
		}
	}
	return 0, fmt.Errorf("expected a positive size like 512Mi, 1GiB (binary) or 512M, 2GB (decimal), found %q", s)
}
