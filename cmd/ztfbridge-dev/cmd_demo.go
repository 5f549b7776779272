package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/ztfbridge/ztfbridge/internal/core/cli"
	"github.com/ztfbridge/ztfbridge/internal/core/deps"
	"github.com/ztfbridge/ztfbridge/internal/core/logging"
	"github.com/ztfbridge/ztfbridge/internal/dev/demo"
)

// runDemo runs the whole pipeline on a local stack, produces a night and
// its 10am replay, and prints the night's table (see package demo). It
// exits 1 when an alert was lost or duplicated.
func runDemo(ctx context.Context, e cli.Env, args []string) error {
	cfg := demo.DefaultConfig()
	fs := cli.NewFlagSet(e, "demo")
	fs.TextVar(&cfg.Night, "night", cfg.Night, "night of the generated alerts, YYYYMMDD (UTC)")
	fs.IntVar(&cfg.Count, "count", cfg.Count, "alerts in the night")
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "random seed of the generated alerts")
	fs.Float64Var(&cfg.Rate, "rate", cfg.Rate, "alerts produced per second; 0 is as fast as Kafka takes them")
	fs.BoolVar(&cfg.Replay, "replay", cfg.Replay, "produce the whole night again afterwards, like ZTF's 10am replay")
	fs.IntVar(&cfg.Partitions, "partitions", cfg.Partitions, "partitions of the night's Kafka topic (ZTF's have 16)")
	fs.DurationVar(&cfg.Quiet, "quiet", cfg.Quiet, "the pipeline is done when its counts stay unchanged this long")
	fs.DurationVar(&cfg.Timeout, "timeout", cfg.Timeout, "longest wait for the pipeline to finish after producing")
	asJSON := fs.Bool("json", false, "print the night's counts and verdict as JSON")
	keep := fs.Bool("keep", false, "keep the stack running after the table, printing its environment, until Ctrl-C")
	verbose := fs.Bool("verbose", false, "show the components' JSON logs at info level (default: warnings only)")
	if err := cli.ParseOnlyFlags(e, fs, args); err != nil {
		return err
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	s, err := demo.StartStack(ctx, e.Log, e.Stderr, cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	r, err := demo.Run(ctx, s, cfg, e.Stderr, deps.WithLogger(logging.New(e.Stderr, level)))
	if err != nil {
		return err
	}
	fmt.Fprintf(e.Stderr, "demo: done in %s\n", r.Elapsed.Round(time.Second))
	if *asJSON {
		err = r.WriteJSON(e.Stdout)
	} else {
		err = r.WriteTable(e.Stdout)
	}
	if err != nil {
		return err
	}
	if *keep {
		if err := s.WriteShell(e.Stdout); err != nil {
			return err
		}
		e.Log.Info("local stack running; Ctrl-C stops it")
		<-ctx.Done()
	}
	if !r.OK {
		return cli.ExitError(1)
	}
	return nil
}
