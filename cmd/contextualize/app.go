package main

import (
	"context"
	"fmt"
	"os"

	docs "github.com/urfave/cli-docs/v3"
	"github.com/urfave/cli/v3"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// session is the state of one command-line run that decides how its error
// is reported: an error returned before the root's Before ran comes from
// parsing the command line or the environment (a usage error, exit 2);
// later errors are classified by exitCode.
type session struct {
	started bool // the root's Before ran: flags and env parsed
}

// commands are the top-level commands, in the order help lists them. A
// new command is one more constructor here, in a file of its own.
func commands() []*cli.Command {
	return []*cli.Command{
		attendCommand(),
		smoothCommand(),
		plotCommand(),
		inspectCommand(),
		planCommand(),
		samplesCommand(),
		versionCommand(),
		helpCommand(),
		manCommand(),
	}
}

func newApp(s *session) *cli.Command {
	one := 1
	root := &cli.Command{
		Name:      "contextualize",
		Usage:     "give every element of a sequence context from the rest of its sequence, Parquet to Parquet",
		UsageText: "contextualize [global flags] COMMAND [flags] INPUT...",
		Version:   buildVersion(),
		// Our own help command (with errors that exit 2); --help stays.
		HideHelpCommand:       true,
		Suggest:               true,
		EnableShellCompletion: true,
		ConfigureShellCompletionCommand: func(c *cli.Command) {
			c.Hidden = false
			c.Usage = "print a shell completion script: completion bash|zsh|fish"
			c.ArgsUsage = "bash|zsh|fish"
			c.Action = unknownCommand
			_ = c.Walk(func(c *cli.Command) error { c.OnUsageError = onUsageError; return nil })
		},
		// The first positional argument is the command: what follows is
		// its own to parse, so an unknown command is reported as such.
		StopOnNthArg: &one,
		// Errors are mapped to exit codes in one place (exitCode): never let
		// urfave/cli call os.Exit itself (it would skip deferred cleanup).
		ExitErrHandler: func(context.Context, *cli.Command, error) {},
		Writer:         os.Stdout,
		ErrWriter:      os.Stderr,
		Flags:          globalFlags(),
		Before: func(ctx context.Context, c *cli.Command) (context.Context, error) {
			s.started = true
			return ctx, before(c)
		},
		After:    func(context.Context, *cli.Command) error { stopProfile(); return nil },
		Action:   unknownCommand,
		Commands: commands(),
	}
	_ = root.Walk(func(c *cli.Command) error {
		if c.OnUsageError == nil {
			c.OnUsageError = onUsageError
		}
		return nil
	})
	return root
}

// before runs ahead of every command: logging, then profiling if asked.
func before(c *cli.Command) error {
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

// unknownCommand is the action of a command with subcommands (the root,
// plan, completion) when none of them was named.
func unknownCommand(_ context.Context, c *cli.Command) error {
	if c.NArg() == 0 {
		return &cliUsageError{cmd: c, err: fmt.Errorf("no command given: %s", commandNames(c))}
	}
	name := c.Args().First()
	err := fmt.Errorf("unknown command %q for %q", name, c.FullName())
	if sug := cli.SuggestCommand(c.VisibleCommands(), name); sug != "" && sug != name {
		err = fmt.Errorf("%w; did you mean %q?", err, sug)
	}
	return &cliUsageError{cmd: c, err: err}
}

func commandNames(c *cli.Command) string {
	if len(c.VisibleCommands()) == 0 {
		return fmt.Sprintf("%q has no subcommands", c.FullName())
	}
	s := "expected one of"
	for i, sub := range c.VisibleCommands() {
		if i > 0 {
			s += ","
		}
		s += " " + sub.Name
	}
	return s
}

// helpCommand is `contextualize help [COMMAND [SUBCOMMAND]]`: the --help of
// that command, or a usage error for a command that does not exist.
func helpCommand() *cli.Command {
	return &cli.Command{
		Name:      "help",
		Usage:     "show the flags of a command: help COMMAND (also COMMAND --help)",
		ArgsUsage: "[COMMAND [SUBCOMMAND]]",
		Action: func(ctx context.Context, c *cli.Command) error {
			parent := c.Root()
			if c.NArg() == 0 {
				return cli.ShowRootCommandHelp(parent)
			}
			args := c.Args().Slice()
			for i, name := range args {
				sub := parent.Command(name)
				if sub == nil || sub.Hidden {
					err := fmt.Errorf("no help for %q: %s", name, commandNames(parent))
					if s := cli.SuggestCommand(parent.VisibleCommands(), name); s != "" && s != name {
						err = fmt.Errorf("no help for %q; did you mean %q?", name, s)
					}
					return &cliUsageError{cmd: c, err: err}
				}
				if i == len(args)-1 {
					if len(sub.VisibleCommands()) > 0 {
						return cli.ShowSubcommandHelp(sub)
					}
					return cli.ShowCommandHelp(ctx, parent, name)
				}
				parent = sub
			}
			return nil
		},
	}
}

// manCommand prints the manual page (roff), generated from the same
// definitions as --help.
func manCommand() *cli.Command {
	return &cli.Command{
		Name:  "man",
		Usage: "print the manual page (man ./contextualize.1 after contextualize man > contextualize.1)",
		Action: func(ctx context.Context, c *cli.Command) error {
			if c.NArg() > 0 {
				return &cliUsageError{cmd: c, err: fmt.Errorf("man takes no arguments, found %q", c.Args().First())}
			}
			page, err := docs.ToManWithSection(c.Root(), 1)
			if err != nil {
				return fmt.Errorf("generating the manual page: %w", err)
			}
			_, err = fmt.Fprint(c.Root().Writer, page)
			return err
		},
	}
}
