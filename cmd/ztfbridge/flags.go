package main

import (
	"errors"
	"flag"

	"github.com/ztfbridge/ztfbridge/internal/core/config"
)

// newFlagSet returns a flag set for a subcommand that prints its errors
// and usage to e.stderr.
func newFlagSet(e env, name string) *flag.FlagSet {
	fs := flag.NewFlagSet("ztfbridge "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	return fs
}

// parseFlags reads the environment and then args into fs. It returns
// flag.ErrHelp for --help and errUsage for a bad command line.
func parseFlags(fs *flag.FlagSet, args []string) error {
	err := config.Parse(fs, args)
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return err
	}
	fs.Usage()
	return errUsage
}
