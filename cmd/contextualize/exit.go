package main

import (
	"context"
	"errors"

	"github.com/contextualize/contextualize/attention"
	"github.com/contextualize/contextualize/pipeline"
	"github.com/contextualize/contextualize/schemas"
)

// Exit codes, as the SPEC defines them.
const (
	exitOK          = 0
	exitFailure     = 1 // I/O: retrying may help
	exitUsage       = 2 // bad flag, weights or schema: retrying will not help
	exitPartial     = 3 // some inputs failed, the others were written
	exitInterrupted = 130
)

// runError carries a batch run's report to the exit-code mapping; the
// failures in it were already logged one by one.
type runError struct {
	report *pipeline.Report
	err    error
}

func (e *runError) Error() string {
	if e.err != nil {
		return e.err.Error()
	}
	return "some inputs failed"
}

func (e *runError) Unwrap() error { return e.err }

// usageError marks err as a usage or configuration error (exit 2).
func usageError(err error) error { return pipeline.Usage(err) }

// isReported reports whether err's details were already logged.
func isReported(err error) bool {
	var re *runError
	return errors.As(err, &re) && re.err == nil
}

// exitCode maps the outcome of a command to the process exit code: the one
// place that does.
func exitCode(ctx context.Context, err error) int {
	if err == nil {
		return exitOK
	}
	if errors.Is(err, context.Canceled) || ctx.Err() != nil {
		return exitInterrupted
	}
	var re *runError
	if errors.As(err, &re) {
		return pipeline.ExitCode(re.report, re.err)
	}
	var se *schemas.Error
	if errors.As(err, &se) || errors.Is(err, attention.ErrInvalidParams) {
		return exitUsage
	}
	switch pipeline.Classify(err) {
	case pipeline.ClassUsage:
		return exitUsage
	case pipeline.ClassInput:
		return exitPartial
	}
	return exitFailure
}
