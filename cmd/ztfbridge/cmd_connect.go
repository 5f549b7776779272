package main

import (
	"context"
	"fmt"

	"github.com/ztfbridge/ztfbridge/connector"
)

// runConnect runs the connector until SIGTERM or SIGINT, then drains and
// commits (see package connector).
func runConnect(ctx context.Context, e env, args []string) error {
	cfg := connector.DefaultConfig()
	fs := newFlagSet(e, "connect")
	cfg.AddFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "ztfbridge connect: unexpected arguments %q\n", fs.Args())
		return errUsage
	}
	cfg.Logger = e.log
	c, err := connector.New(ctx, cfg)
	if err != nil {
		return err
	}
	runErr := c.Run(ctx)
	if err := c.Close(); runErr == nil {
		runErr = err
	}
	return runErr
}
