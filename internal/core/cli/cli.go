// Package cli runs the subcommands of ztfbridge's programs (ztfbridge and
// ztfbridge-dev): it finds the command named by the first argument, reads
// its flags from the command line and the ZTFBRIDGE_* environment (see
// package config), and turns its error into an exit status.
//
//	func main() { os.Exit(cli.Main("ztfbridge", "moves the ZTF alert stream...", commands())) }
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/ztfbridge/ztfbridge/internal/core/config"
	"github.com/ztfbridge/ztfbridge/internal/core/logging"
)

// Env is what every command is given besides its arguments.
type Env struct {
	Program string // "ztfbridge" or "ztfbridge-dev", for messages
	Stdin   io.Reader
	Stdout  io.Writer
	Stderr  io.Writer
	Log     *slog.Logger
	// Level is the minimum level of Log, which every command's
	// --log-level sets (see NewFlagSet); nil leaves Log as it is.
	Level *slog.LevelVar
}

// Command is one subcommand.
type Command struct {
	Name    string
	Summary string
	Run     func(ctx context.Context, e Env, args []string) error
}

// ErrUsage reports a command line that was wrong; the flag package or
// the command has already said how. The program exits 2.
var ErrUsage = errors.New("usage")

// ExitError makes the program exit with the given status without logging:
// the command has already reported the failure on stdout.
type ExitError int

func (e ExitError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// Main runs the command of os.Args with the process's streams and JSON
// logs on stderr, cancelling its context on SIGINT or SIGTERM, and returns
// the exit status.
func Main(program, about string, commands []Command) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	level := new(slog.LevelVar) // info
	e := Env{Program: program, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Log: logging.New(os.Stderr, level), Level: level}
	return Run(ctx, e, about, commands, os.Args[1:])
}

// Run runs the command named by args[0] and returns the exit status: 0,
// 2 for a wrong command line, an ExitError's status, or 1 after logging
// any other error.
func Run(ctx context.Context, e Env, about string, commands []Command, args []string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(e, about, commands)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands {
		if c.Name != args[0] {
			continue
		}
		err := c.Run(ctx, e, args[1:])
		var exit ExitError
		switch {
		case err == nil, errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, ErrUsage):
			return 2
		case errors.As(err, &exit):
			return int(exit)
		}
		e.Log.Error(c.Name+" failed", "err", err)
		return 1
	}
	fmt.Fprintf(e.Stderr, "%s: unknown command %q\n\n", e.Program, args[0])
	usage(e, about, commands)
	return 2
}

func usage(e Env, about string, commands []Command) {
	fmt.Fprintf(e.Stderr, "%s %s\n\nUsage: %s COMMAND [flags]\n\nCommands:\n", e.Program, about, e.Program)
	for _, c := range commands {
		fmt.Fprintf(e.Stderr, "  %-15s %s\n", c.Name, c.Summary)
	}
	fmt.Fprintln(e.Stderr, "\nEvery flag can also be set by an environment variable: --batch-size is ZTFBRIDGE_BATCH_SIZE.")
	fmt.Fprintf(e.Stderr, "Run \"%s COMMAND --help\" for a command's flags.\n", e.Program)
}

// NewFlagSet returns the flag set of command name, which prints its
// errors and usage to e.Stderr. Every command has --log-level
// (ZTFBRIDGE_LOG_LEVEL), which sets e.Level.
func NewFlagSet(e Env, name string) *flag.FlagSet {
	fs := flag.NewFlagSet(e.Program+" "+name, flag.ContinueOnError)
	fs.SetOutput(e.Stderr)
	level := e.Level
	if level == nil {
		level = new(slog.LevelVar)
	}
	fs.TextVar(level, "log-level", level, "minimum `level` of the JSON logs on stderr: debug, info, warn or error")
	return fs
}

// ParseOnlyFlags is ParseFlags for a command that takes nothing but
// flags: an argument left over is a bad command line (ErrUsage), said on
// e.Stderr.
func ParseOnlyFlags(e Env, fs *flag.FlagSet, args []string) error {
	if err := ParseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.Stderr, "%s: unexpected arguments %q\n", fs.Name(), fs.Args())
		return ErrUsage
	}
	return nil
}

// Settings is a Config whose fields are flags: AddFlags defines them,
// Validate reports those that cannot work (see config.Check).
type Settings interface {
	AddFlags(fs *flag.FlagSet)
	Validate() error
}

// Validate returns the problems of cfg (a pointer to a Config whose
// AddFlags defined flags of fs) in the terms of the command line:
// "--batch-rows must be positive", not the Config's "BatchRows must be
// positive". Commands call it once the flags are parsed, so that a setting
// that cannot work is reported as the flag the user gave.
func Validate(fs *flag.FlagSet, cfg Settings) error {
	return config.InFlags(cfg.Validate(), fs, cfg)
}

// ParseSettings is how a command reads its Config: it defines the flags
// of cfg (a pointer to the Config) on fs, beside those the command defined
// there, reads the environment and args into them (ParseOnlyFlags), and
// checks that each flag named in required was given and that every
// setting of cfg can work (Validate). A missing flag or a setting that
// cannot work is a bad command line, said on e.Stderr in the flags' terms
// ("--night YYYYMMDD is required", "--batch-rows must be positive"):
// ErrUsage, exit status 2.
func ParseSettings(e Env, fs *flag.FlagSet, args []string, cfg Settings, required ...string) error {
	cfg.AddFlags(fs)
	if err := ParseOnlyFlags(e, fs, args); err != nil {
		return err
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	for _, name := range required {
		if !given[name] {
			value, _ := flag.UnquoteUsage(fs.Lookup(name))
			fmt.Fprintf(e.Stderr, "%s: --%s %s is required\n", fs.Name(), name, value)
			return ErrUsage
		}
	}
	if err := Validate(fs, cfg); err != nil {
		fmt.Fprintf(e.Stderr, "%s: %v\n", fs.Name(), err)
		return ErrUsage
	}
	return nil
}

// ParseFlags reads the environment and then args into fs. It returns
// flag.ErrHelp for --help and ErrUsage for a bad command line.
func ParseFlags(fs *flag.FlagSet, args []string) error {
	err := config.Parse(fs, args)
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return err
	}
	fs.Usage()
	return ErrUsage
}
