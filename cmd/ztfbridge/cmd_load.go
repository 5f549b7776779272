package main

import (
	"context"
	"fmt"

	"github.com/ztfbridge/ztfbridge/bqloader"
	"github.com/ztfbridge/ztfbridge/internal/core/cli"
	"github.com/ztfbridge/ztfbridge/internal/core/metrics"
)

// runLoad runs the BigQuery loader until SIGTERM or SIGINT, then drains:
// what was received is written and acknowledged, or handed back to
// Pub/Sub (see package bqloader).
func runLoad(ctx context.Context, e cli.Env, args []string) error {
	cfg := bqloader.DefaultConfig()
	fs := cli.NewFlagSet(e, "load")
	cfg.AddFlags(fs)
	metricsAddr := metricsFlag(fs, ":9465")
	if err := cli.ParseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.Stderr, "ztfbridge load: unexpected arguments %q\n", fs.Args())
		return cli.ErrUsage
	}
	cfg.Logger = e.Log
	cfg.Registry = metrics.NewRegistry()
	srv, err := listenMetrics(e, *metricsAddr, cfg.Registry)
	if err != nil {
		return err
	}
	l, err := bqloader.New(ctx, cfg)
	if err != nil {
		return err
	}
	runErr := runServing(ctx, e, srv, l.Run)
	if err := l.Close(); runErr == nil {
		runErr = err
	}
	return runErr
}
