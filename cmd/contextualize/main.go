// Command contextualize gives every element of a sequence context from the
// rest of its sequence, from Parquet to Parquet: Gaussian smoothing
// (context by proximity) and multi-head attention (context by relevance).
//
// This package is the command line only: flags, environment variables and
// the mapping of errors to exit codes. See the README and SPEC for usage.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	os.Exit(run(os.Args, os.Stderr))
}

// run executes the app and returns the process exit code.
func run(args []string, stderr *os.File) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	app := newApp()
	err := app.RunContext(ctx, args)
	code := exitCode(ctx, err)
	if err != nil && !isReported(err) {
		fmt.Fprintf(stderr, "contextualize: %v\n", err)
	}
	return code
}
