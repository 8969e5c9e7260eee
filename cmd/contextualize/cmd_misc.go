package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"

	"github.com/contextualize/contextualize/samples"
	"github.com/urfave/cli/v2"
)

func samplesCommand() *cli.Command {
	return &cli.Command{
		Name:  "samples",
		Usage: "write the built-in sample data sets and weights",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "directory to write to (required)"},
		},
		OnUsageError: onUsageError,
		Action: func(c *cli.Context) error {
			dir := c.String("output")
			if dir == "" {
				return usageError(fmt.Errorf("samples needs --output DIR"))
			}
			files, err := samples.WriteAll(dir)
			if err != nil {
				return fmt.Errorf("writing samples: %w", err)
			}
			for _, f := range files {
				fmt.Fprintln(os.Stdout, f)
			}
			return nil
		},
	}
}

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print the version",
		Action: func(c *cli.Context) error {
			fmt.Fprintf(os.Stdout, "contextualize %s (%s, %s/%s)\n", buildVersion(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
}

// buildVersion is the -ldflags version, else the module version or VCS
// revision recorded by the Go toolchain.
func buildVersion() string {
	if version != "dev" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return version
}

// onUsageError makes flag parsing errors exit 2.
func onUsageError(c *cli.Context, err error, _ bool) error {
	return usageError(err)
}
