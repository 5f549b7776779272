package main

import (
	"context"

	"github.com/ztfbridge/ztfbridge/bqloader/loadbench"
)

// runBenchLoad times the BigQuery loader on the local stack next to the
// Storage Write API client alone writing the same rows to the same server.
func runBenchLoad(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "bench load")
	var opts loadbench.Options
	fs.IntVar(&opts.Alerts, "alerts", 2000, "synthetic `alerts` per measurement")
	fs.IntVar(&opts.BatchRows, "batch-rows", 0, "rows per append, raw and loader alike (default: the loader's)")
	fs.IntVar(&opts.BatchBytes, "batch-bytes", 0, "bytes per append, raw and loader alike (default: the loader's)")
	fs.IntVar(&opts.WritesInFlight, "writes-in-flight", 0, "appends at once, raw and loader alike (default: the loader's)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	rep, err := loadbench.Run(ctx, e.log, opts)
	if err != nil {
		return err
	}
	rep.Print(e.stdout)
	return nil
}
