package main

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/contextualize/contextualize/samples"
	"github.com/urfave/cli/v3"
)

func samplesCommand() *cli.Command {
	return &cli.Command{
		Name:  "samples",
		Usage: "write the built-in sample data sets and weights",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "`DIR` to write to (required)"},
		},
		Action: func(ctx context.Context, c *cli.Command) error {
			dir := c.String("output")
			if dir == "" {
				return &cliUsageError{cmd: c, err: fmt.Errorf("samples needs --output DIR")}
			}
			if c.NArg() > 0 {
				return &cliUsageError{cmd: c, err: fmt.Errorf("samples takes no arguments, found %q", c.Args().First())}
			}
			files, err := samples.WriteAll(dir)
			if err != nil {
				return fmt.Errorf("writing samples: %w", err)
			}
			for _, f := range files {
				fmt.Fprintln(c.Root().Writer, f)
			}
			return nil
		},
	}
}

// versionInfo is what `version --json` prints.
type versionInfo struct {
	Version  string `json:"version"`
	Revision string `json:"revision,omitempty"`
	Modified bool   `json:"modified,omitempty"`
	Go       string `json:"go"`
	OS       string `json:"os"`
	Arch     string `json:"arch"`
}

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print the version (also --version)",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print one JSON object: version, revision, go, os, arch"},
		},
		Action: func(ctx context.Context, c *cli.Command) error {
			if c.NArg() > 0 {
				return &cliUsageError{cmd: c, err: fmt.Errorf("version takes no arguments, found %q", c.Args().First())}
			}
			v := versionInfo{Version: buildVersion(), Go: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}
			if bi, ok := debug.ReadBuildInfo(); ok {
				for _, s := range bi.Settings {
					switch s.Key {
					case "vcs.revision":
						v.Revision = s.Value
					case "vcs.modified":
						v.Modified = s.Value == "true"
					}
				}
			}
			w := c.Root().Writer
			if c.Bool("json") {
				b, err := json.Marshal(v)
				if err != nil {
					return err
				}
				_, err = fmt.Fprintln(w, string(b))
				return err
			}
			_, err := fmt.Fprintf(w, "contextualize %s (%s, %s/%s)\n", v.Version, v.Go, v.OS, v.Arch)
			return err
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
