package main

import (
	"fmt"
	"github.com/contextualize/contextualize/pipeline"
	"log/slog"
	"os"
	"strings"

	"github.com/urfave/cli/v2"
)

// logOut is the logger's writer: stderr, or above the progress bars while
// they are drawn.
var logOut = pipeline.NewLogOutput(os.Stderr)

// logger is the process logger, set up by setupLogging before any command.
var logger = slog.New(slog.NewTextHandler(logOut, nil))

func globalFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "log-format", Value: "text", Usage: "text or json (logs go to stderr)", EnvVars: envs("log-format")},
		&cli.StringFlag{Name: "log-level", Value: "info", Usage: "debug, info, warn or error", EnvVars: envs("log-level")},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "only errors on stderr, no progress", EnvVars: envs("quiet")},
		&cli.StringFlag{Name: "cpuprofile", Usage: "write a CPU profile (pprof) to `FILE`", Hidden: true},
		&cli.StringFlag{Name: "trace", Usage: "write an execution trace (go tool trace) to `FILE`", Hidden: true},
		&cli.StringFlag{Name: "memprofile", Usage: "write an allocation profile (pprof) to `FILE` at exit", Hidden: true},
	}
}

// envs names the environment variable of a flag: CONTEXTUALIZE_<FLAG>.
func envs(flag string) []string {
	return []string{"CONTEXTUALIZE_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))}
}

func setupLogging(c *cli.Context) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.String("log-level"))); err != nil {
		return usageError(fmt.Errorf("parsing --log-level: expected debug, info, warn or error, found %q", c.String("log-level")))
	}
	if c.Bool("quiet") {
		level = slog.LevelError
	}
	opts := &slog.HandlerOptions{Level: level}
	switch c.String("log-format") {
	case "text":
		logger = slog.New(slog.NewTextHandler(logOut, opts))
	case "json":
		logger = slog.New(slog.NewJSONHandler(logOut, opts))
	default:
		return usageError(fmt.Errorf("parsing --log-format: expected text or json, found %q", c.String("log-format")))
	}
	slog.SetDefault(logger) // packages below log through slog's default
	return nil
}
