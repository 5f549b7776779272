package main

import (
	"context"

	"github.com/ztfbridge/ztfbridge/functions/functionbench"
)

// runBenchFunction times the Cloud Function on the local stack next to the
// storage client alone writing the same objects to the same server.
func runBenchFunction(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "bench function")
	var opts functionbench.Options
	fs.IntVar(&opts.Alerts, "alerts", 2000, "synthetic `alerts` per measurement")
	fs.IntVar(&opts.Workers, "workers", 16, "concurrent writers or push requests")
	fs.BoolVar(&opts.NoPubSub, "no-pubsub", false, "skip the run fed by the Pub/Sub emulator's push subscription")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	rep, err := functionbench.Run(ctx, e.log, opts)
	if err != nil {
		return err
	}
	rep.Print(e.stdout)
	return nil
}
