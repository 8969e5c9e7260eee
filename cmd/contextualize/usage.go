package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/urfave/cli/v3"
)

// cliUsageError is a command line that cannot be run as written: a flag or
// command that does not exist, a bad value, a missing argument. It exits 2
// and is reported with the usage of the command it concerns.
type cliUsageError struct {
	cmd *cli.Command // the command whose usage was wrong; nil: the root
	err error
}

func (e *cliUsageError) Error() string    { return e.err.Error() }
func (e *cliUsageError) Unwrap() error    { return e.err }
func (e *cliUsageError) UsageError() bool { return true } // pipeline.Classify: exit 2

// onUsageError is every command's OnUsageError: it makes the parse error a
// cliUsageError (exit 2) and adds "did you mean" for an unknown flag.
func onUsageError(_ context.Context, c *cli.Command, err error, _ bool) error {
	const unknown = "flag provided but not defined: -"
	if name, ok := strings.CutPrefix(err.Error(), unknown); ok {
		err = fmt.Errorf("unknown flag %s for %q", dashed(name), c.FullName())
		if sug := cli.SuggestFlag(c.VisibleFlags(), name, false); sug != "" {
			err = fmt.Errorf("%w; did you mean %s?", err, sug)
		}
	}
	return &cliUsageError{cmd: c, err: err}
}

func dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// asUsage makes an error from parsing the command line or the environment
// (one returned before any command started) a usage error.
func asUsage(err error, root *cli.Command) error {
	var ue *cliUsageError
	if errors.As(err, &ue) {
		return err
	}
	return &cliUsageError{cmd: root, err: err}
}

// usageOf is the usage line of c, as its help shows it.
func usageOf(c *cli.Command) string {
	if c == nil {
		return ""
	}
	if c.UsageText != "" {
		return c.UsageText
	}
	s := c.FullName()
	for _, f := range c.VisibleFlags() {
		if f.Names()[0] != "help" {
			s += " [flags]"
			break
		}
	}
	if c.ArgsUsage != "" {
		s += " " + c.ArgsUsage
	}
	return s
}

// helpHint is the command that shows c's flags.
func helpHint(c *cli.Command) string {
	if c == nil || c.Root() == c {
		return "contextualize --help"
	}
	return "contextualize help " + strings.TrimPrefix(c.FullName(), c.Root().Name+" ")
}

// reportError writes the error that ends the run to stderr: one line of
// text, or, under --log-format json, one JSON record. A usage error also
// names the usage and where to find help.
func reportError(w io.Writer, err error, code int, json bool) {
	var ue *cliUsageError
	isUsage := errors.As(err, &ue)
	if json {
		attrs := []any{"exit_code", code}
		if isUsage {
			attrs = append(attrs, "usage", usageOf(ue.cmd), "help", helpHint(ue.cmd))
		}
		l := logger
		if !logJSON {
			l = slog.New(slog.NewJSONHandler(w, nil))
		}
		l.Error(err.Error(), attrs...)
		return
	}
	fmt.Fprintf(w, "contextualize: %v\n", err)
	if isUsage {
		fmt.Fprintf(w, "Usage: %s\nRun '%s' for the flags.\n", usageOf(ue.cmd), helpHint(ue.cmd))
	}
}
