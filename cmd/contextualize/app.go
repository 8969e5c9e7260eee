package main

import (
	"github.com/urfave/cli/v2"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func newApp() *cli.App {
	return &cli.App{
		Name:                 "contextualize",
		Usage:                "give every element of a sequence context from the rest of its sequence, Parquet to Parquet",
		Version:              buildVersion(),
		HideHelpCommand:      true,
		Suggest:              true,
		EnableBashCompletion: false,
		// Errors are mapped to exit codes in one place (exitCode): never let
		// urfave/cli call os.Exit itself (it would skip deferred cleanup).
		ExitErrHandler: func(*cli.Context, error) {},
		Flags:          globalFlags(),
		Before:         before,
		After:          after,
		Commands: []*cli.Command{
			attendCommand(),
			smoothCommand(),
			inspectCommand(),
			planCommand(),
			samplesCommand(),
			versionCommand(),
		},
	}
}

// before runs ahead of every command: logging, then profiling if asked.
func before(c *cli.Context) error {
	if err := setupLogging(c); err != nil {
		return err
	}
	if err := startTrace(c.String("trace")); err != nil {
		return err
	}
	if err := startProfile(c.String("cpuprofile"), c.String("memprofile")); err != nil {
		stopProfile() // ends the trace started above
		return err
	}
	return nil
}

// after runs when a command returns.
func after(*cli.Context) error {
	stopProfile()
	return nil
}
