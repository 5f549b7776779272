package main

import (
	"github.com/ztfbridge/ztfbridge/internal/core/cli"

	"context"
	"fmt"

	"github.com/ztfbridge/ztfbridge/bqloader"
)

// runLoad runs the BigQuery loader until SIGTERM or SIGINT, then drains:
// what was received is written and acknowledged, or handed back to
// Pub/Sub (see package bqloader).
func runLoad(ctx context.Context, e cli.Env, args []string) error {
	cfg := bqloader.DefaultConfig()
	fs := cli.NewFlagSet(e, "load")
	cfg.AddFlags(fs)
	if err := cli.ParseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.Stderr, "ztfbridge load: unexpected arguments %q\n", fs.Args())
		return cli.ErrUsage
	}
	cfg.Logger = e.Log
	l, err := bqloader.New(ctx, cfg)
	if err != nil {
		return err
	}
	runErr := l.Run(ctx)
	if err := l.Close(); runErr == nil {
		runErr = err
	}
	return runErr
}
