package main

import (
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/contextualize/contextualize/pipeline"
	"github.com/urfave/cli/v3"
)

// logOut is the logger's writer: stderr, or above the progress bars while
// they are drawn.
var logOut = pipeline.NewLogOutput(os.Stderr)

// logger is the process logger, set up by setupLogging before any command.
var logger = slog.New(slog.NewTextHandler(logOut, nil))

// logJSON reports whether setupLogging chose JSON records.
var logJSON bool

// globalFlags are the root's flags. They are persistent: they may come
// before or after the command (contextualize smooth ... --log-format json).
func globalFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "log-format", Value: "text", Usage: "text or json: every line on stderr is then a JSON object", Sources: envs("log-format"), Category: catLogging},
		&cli.StringFlag{Name: "log-level", Value: "info", Usage: "debug, info, warn or error", Sources: envs("log-level"), Category: catLogging},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "only errors on stderr, no progress", Sources: envs("quiet"), Category: catLogging},
		&cli.StringFlag{Name: "cpuprofile", Usage: "write a CPU profile (pprof) to `FILE`", Hidden: true},
		&cli.StringFlag{Name: "trace", Usage: "write an execution trace (go tool trace) to `FILE`", Hidden: true},
		&cli.StringFlag{Name: "memprofile", Usage: "write an allocation profile (pprof) to `FILE` at exit", Hidden: true},
	}
}

func setupLogging(c *cli.Command) error {
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
		logger, logJSON = slog.New(slog.NewTextHandler(logOut, opts)), false
	case "json":
		logger, logJSON = slog.New(slog.NewJSONHandler(logOut, opts)), true
	default:
		return usageError(fmt.Errorf("parsing --log-format: expected text or json, found %q", c.String("log-format")))
	}
	slog.SetDefault(logger) // packages below log through slog's default
	return nil
}

// wantsJSON reports whether the command line or the environment asks for
// JSON logs. It decides the form of an error found before the flags could
// be parsed (a usage error), so it only looks for --log-format's value:
// the last "--log-format json" or "--log-format=json" before "--", else
// $CONTEXTUALIZE_LOG_FORMAT.
func wantsJSON(args []string) bool {
	format := os.Getenv(envName("log-format"))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "log-format" {
			continue
		}
		if !hasVal && i+1 < len(args) {
			val = args[i+1]
			i++
		}
		format = val
	}
	return format == "json"
}
