package main

import (
	"context"

	"github.com/ztfbridge/ztfbridge/internal/core/cli"
	"github.com/ztfbridge/ztfbridge/internal/ops/nightcount"
)

// runCount prints one night counted at every stage (package nightcount) and
// exits 1 when the verdict is not OK, 3 when a configured stage could not
// be counted.
func runCount(ctx context.Context, e cli.Env, args []string) error {
	cfg := nightcount.DefaultConfig()
	fs := cli.NewFlagSet(e, "count")
	day := nightFlag(fs, "the night to count, `YYYYMMDD` (UTC date of the topic ztf_YYYYMMDD_programid1); required")
	asJSON := fs.Bool("json", false, "print one JSON object instead of the table")
	expect := fs.Int64("expect", 0, "expected number of unique alerts; 0 = unknown (then GCS and BigQuery are only compared with each other)")
	if err := cli.ParseSettings(e, fs, args, &cfg, "night"); err != nil {
		return err
	}
	counts, countErr := nightcount.Count(ctx, cfg, *day)
	write := nightcount.WriteTable
	if *asJSON {
		write = nightcount.WriteJSON
	}
	if err := write(e.Stdout, *expect, counts); err != nil {
		return err
	}
	switch {
	case countErr != nil:
		e.Log.Error("count failed", "night", counts.Night, "err", countErr)
		return cli.ExitError(3)
	case !counts.Verdict(*expect).OK():
		return cli.ExitError(1)
	}
	return nil
}
