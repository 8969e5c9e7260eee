// Command contextualize gives every element of a sequence context from the
// rest of its sequence, from Parquet to Parquet: Gaussian smoothing
// (context by proximity) and multi-head attention (context by relevance).
//
// This package is the command line only: flags, environment variables and
// the mapping of errors to exit codes. See the README and SPEC for usage.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	os.Exit(run(os.Args))
}

// run executes the app and returns the process exit code.
func run(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var s session
	app := newApp(&s)
	err := app.Run(ctx, args)
	if err != nil && !s.started && ctx.Err() == nil {
		err = asUsage(err, app)
	}
	code := exitCode(ctx, err)
	if err != nil && !isReported(err) {
		reportError(logOut, err, code, logJSON || wantsJSON(args[1:]))
	}
	return code
}
