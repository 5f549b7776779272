package main

import (
	"context"
	"fmt"

	"github.com/ztfbridge/ztfbridge/connector"
	"github.com/ztfbridge/ztfbridge/internal/core/cli"
	"github.com/ztfbridge/ztfbridge/internal/core/metrics"
)

// runConnect runs the connector until SIGTERM or SIGINT, then drains and
// commits (see package connector).
func runConnect(ctx context.Context, e cli.Env, args []string) error {
	cfg := connector.DefaultConfig()
	fs := cli.NewFlagSet(e, "connect")
	cfg.AddFlags(fs)
	metricsAddr := metricsFlag(fs, ":9464")
	if err := cli.ParseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.Stderr, "ztfbridge connect: unexpected arguments %q\n", fs.Args())
		return cli.ErrUsage
	}
	cfg.Logger = e.Log
	cfg.Registry = metrics.NewRegistry()
	srv, err := listenMetrics(e, *metricsAddr, cfg.Registry)
	if err != nil {
		return err
	}
	c, err := connector.New(ctx, cfg)
	if err != nil {
		return err
	}
	runErr := runServing(ctx, e, srv, c.Run)
	if err := c.Close(); runErr == nil {
		runErr = err
	}
	return runErr
}
