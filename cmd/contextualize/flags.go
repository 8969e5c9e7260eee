package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"
)

// batchFlags are the flags of every command that writes outputs.
func batchFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "output directory (required)", EnvVars: envs("output")},
		&cli.IntFlag{Name: "workers", Usage: "parallel workers (default GOMAXPROCS); output bytes do not depend on it", EnvVars: envs("workers")},
		&cli.StringFlag{Name: "memory-limit", Value: "1GiB", Usage: "bound on data in flight, e.g. 256MiB, 2GB", EnvVars: envs("memory-limit")},
		&cli.IntFlag{Name: "shard-index", Value: -1, Usage: "process only shard `I` of --shard-count (default: $JOB_COMPLETION_INDEX, else 0)", EnvVars: envs("shard-index")},
		&cli.IntFlag{Name: "shard-count", Usage: "number of shards `N` (default: unsharded)", EnvVars: envs("shard-count")},
		&cli.BoolFlag{Name: "overwrite", Usage: "replace existing outputs (default: skip matching ones, fail on different ones)", EnvVars: envs("overwrite")},
		&cli.BoolFlag{Name: "fail-fast", Usage: "stop at the first failed input (default: finish the others, exit 3)", EnvVars: envs("fail-fast")},
		&cli.StringFlag{Name: "compression", Value: "zstd", Usage: "zstd, snappy, gzip, lz4 or none", EnvVars: envs("compression")},
		&cli.IntFlag{Name: "row-group-rows", Usage: "rows per output row group (default: as the input)", EnvVars: envs("row-group-rows")},
		&cli.StringFlag{Name: "progress", Value: "auto", Usage: "auto, always or never", EnvVars: envs("progress")},
		&cli.StringFlag{Name: "layout", Value: "auto", Usage: "auto, long or nested", EnvVars: envs("layout")},
		&cli.StringFlag{Name: "column", Usage: "value column", EnvVars: envs("column")},
		&cli.StringFlag{Name: "output-column", Usage: "write results to a new column `NAME` instead of replacing the value column", EnvVars: envs("output-column")},
		&cli.StringFlag{Name: "sequence-column", Usage: "sequence id column (long layout; default sequence_id, else series_id)", EnvVars: envs("sequence-column")},
		&cli.StringFlag{Name: "order-column", Usage: "order column (long layout; default position, else timestamp)", EnvVars: envs("order-column")},
		&cli.StringFlag{Name: "time-column", Usage: "list of timestamps (nested layout)", EnvVars: envs("time-column")},
	}
}

// sizeUnits are the multipliers of parseSize, by lower-case suffix.
var sizeUnits = map[string]float64{
	"": 1, "b": 1,
	"k": 1 << 10, "kib": 1 << 10, "kb": 1e3,
	"m": 1 << 20, "mib": 1 << 20, "mb": 1e6,
	"g": 1 << 30, "gib": 1 << 30, "gb": 1e9,
	"t": 1 << 40, "tib": 1 << 40, "tb": 1e12,
}

var sizePattern = regexp.MustCompile(`^\s*([0-9.]+(?:[eE][0-9]+)?)\s*([A-Za-z]*)\s*$`)

// parseSize reads sizes like 256MiB, 2GB, 512M or 1048576.
func parseSize(s string) (int64, error) {
	m := sizePattern.FindStringSubmatch(s)
	if m != nil {
		v, err := strconv.ParseFloat(m[1], 64)
		mult, ok := sizeUnits[strings.ToLower(m[2])]
		if err == nil && ok && v > 0 {
			return int64(v * mult), nil
		}
	}
	return 0, fmt.Errorf("expected a positive size like 256MiB or 2GB, found %q", s)
}
