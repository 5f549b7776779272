package main

import (
	"context"
	"fmt"

	"github.com/ztfbridge/ztfbridge/internal/core/cli"
	"github.com/ztfbridge/ztfbridge/internal/core/deps"
	"github.com/ztfbridge/ztfbridge/internal/ops/backfill"
)

// runBackfill re-ingests one past night from Kafka with the connector, in a
// consumer group of its own, and stops when it has all of it (package
// backfill).
func runBackfill(ctx context.Context, e cli.Env, args []string) error {
	cfg := backfill.DefaultConfig()
	fs := cli.NewFlagSet(e, "backfill")
	day := nightFlag(fs, "the night to re-ingest, `YYYYMMDD` (its topic ztf_YYYYMMDD_programid1 must still be retained); required.\n--group, --topic, --topics and --topic-regex are ignored: see --backfill-group")
	if err := cli.ParseSettings(e, fs, args, &cfg, "night"); err != nil {
		return err
	}
	res, err := backfill.Run(ctx, cfg, *day, deps.WithLogger(e.Log))
	if err != nil {
		return err
	}
	fmt.Fprintf(e.Stdout, "backfilled %s: %d messages republished by group %s in %s\n", res.Topic, res.Messages, res.Group, res.Elapsed.Round(1e6))
	return nil
}
