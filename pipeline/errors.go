package pipeline

import (
	"context"
	"errors"
)

// Class is the kind of an error, which decides the exit code.
type Class int

// Error classes. The zero Class is "no error".
const (
	// ClassIO: reading or writing failed; retrying may help. Exit 1. Also
	// the class of any error nothing else claims.
	ClassIO Class = iota + 1
	// ClassUsage: bad flag, configuration, weights, schema, or an existing
	// output written with other parameters. Retrying will not help. Exit 2.
	ClassUsage
	// ClassInput: one input file's data is bad. Counted per file; the
	// others are still written. Exit 3.
	ClassInput
	// ClassCanceled: interrupted (context.Canceled). Exit 130.
	ClassCanceled
)

func (c Class) String() string {
	switch c {
	case 0:
		return "none"
	case ClassIO:
		return "io"
	case ClassUsage:
		return "usage"
	case ClassInput:
		return "input"
	case ClassCanceled:
		return "canceled"
	}
	return "unknown"
}

// Error attaches a Class to an error.
type Error struct {
	Class Class
	Err   error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

func classed(c Class, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Class: c, Err: err}
}

// Usage marks err as a usage or configuration error (exit 2). Nil stays nil.
func Usage(err error) error { return classed(ClassUsage, err) }

// InputError marks err as bad data in one input file (counted per file,
// exit 3). Nil stays nil.
func InputError(err error) error { return classed(ClassInput, err) }

// IOError marks err as an I/O failure (exit 1). Nil stays nil.
func IOError(err error) error { return classed(ClassIO, err) }

// Classify returns the class of err, 0 for nil. In order:
//  1. the outermost *Error in the chain;
//  2. context.Canceled -> ClassCanceled;
//  3. an error in the chain with a method UsageError() bool or
//     InputError() bool returning true (lets packages below pipeline, such
//     as io/parquetio, mark their errors without importing it);
//  4. anything else -> ClassIO: *fs.PathError, *os.LinkError,
//     *os.SyscallError, syscall.Errno, context.DeadlineExceeded, and errors
//     nobody classified (retrying may help; better than blaming the data).
func Classify(err error) Class {
	if err == nil {
		return 0
	}
	var e *Error
	if errors.As(err, &e) && e.Class != 0 {
		return e.Class
	}
	if errors.Is(err, context.Canceled) {
		return ClassCanceled
	}
	var ue interface{ UsageError() bool }
	if errors.As(err, &ue) && ue.UsageError() {
		return ClassUsage
	}
	var ie interface{ InputError() bool }
	if errors.As(err, &ie) && ie.InputError() {
		return ClassInput
	}
	// *fs.PathError, *os.LinkError, *os.SyscallError, syscall.Errno,
	// context.DeadlineExceeded and everything else.
	return ClassIO
}

// Exit codes.
const (
	ExitOK       = 0
	ExitIO       = 1
	ExitUsage    = 2
	ExitInputs   = 3
	ExitCanceled = 130
)

// ExitCode maps the outcome of a run (or of any command: rep may be nil) to
// the process exit code:
//
//	err wraps context.Canceled                     130
//	rep has failed units: any usage failure         2
//	                      else any I/O failure      1
//	                      else (input failures)     3
//	err classified usage                            2
//	err classified input                            3
//	err classified I/O (or unclassified)            1
//	no error, no failed unit (incl. nothing to do)  0
//
// Per-unit failures win over err because err then only summarises them.
// Among them usage wins (retrying cannot help, Kubernetes should fail the
// Job), then I/O (retrying may help), then bad inputs.
func ExitCode(rep *Report, err error) int {
	if errors.Is(err, context.Canceled) {
		return ExitCanceled
	}
	if rep.Failed() > 0 {
		worst := 0
		for _, u := range rep.Units {
			if u.Status != StatusFailed {
				continue
			}
			switch Classify(u.Err) {
			case ClassUsage:
				return ExitUsage
			case ClassInput:
				if worst == 0 {
					worst = ExitInputs
				}
			default:
				worst = ExitIO
			}
		}
		if worst != 0 {
			return worst
		}
	}
	if err == nil {
		return ExitOK
	}
	switch Classify(err) {
	case ClassUsage:
		return ExitUsage
	case ClassInput:
		return ExitInputs
	case ClassCanceled:
		return ExitCanceled
	}
	return ExitIO
}
