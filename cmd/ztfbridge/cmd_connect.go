package main

import (
	"github.com/ztfbridge/ztfbridge/internal/core/cli"

	"context"
	"fmt"

	"github.com/ztfbridge/ztfbridge/connector"
)

// runConnect runs the connector until SIGTERM or SIGINT, then drains and
// commits (see package connector).
func runConnect(ctx context.Context, e cli.Env, args []string) error {
	cfg := connector.DefaultConfig()
	fs := cli.NewFlagSet(e, "connect")
	cfg.AddFlags(fs)
	if err := cli.ParseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.Stderr, "ztfbridge connect: unexpected arguments %q\n", fs.Args())
		return cli.ErrUsage
	}
	cfg.Logger = e.Log
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
