package main

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/ztfbridge/ztfbridge/internal/core/cli"
	"github.com/ztfbridge/ztfbridge/internal/core/deps"
	"github.com/ztfbridge/ztfbridge/internal/ops/redrive"
)

// runRedrive moves dead letters back to the alert topic (package redrive),
// prints the counts by reason and the final count, and exits 1 when a
// republish failed (those stay on the subscription).
func runRedrive(ctx context.Context, e cli.Env, args []string) error {
	cfg := redrive.DefaultConfig()
	fs := cli.NewFlagSet(e, "redrive")
	if err := cli.ParseSettings(e, fs, args, &cfg); err != nil {
		return err
	}
	res, err := redrive.Run(ctx, cfg, deps.WithLogger(e.Log))
	if err != nil {
		return err
	}
	for _, r := range slices.Sorted(maps.Keys(res.ByReason)) {
		name := r
		if name == "" {
			name = "(none)"
		}
		fmt.Fprintf(e.Stdout, "%-24s %d\n", name, res.ByReason[r])
	}
	verb := "republished"
	if cfg.DryRun {
		verb = "would republish"
	}
	filter := []string{}
	if cfg.Reason != "" {
		filter = append(filter, "reason "+cfg.Reason)
	}
	if !cfg.Night.IsZero() {
		filter = append(filter, "night "+cfg.Night.String())
	}
	if len(filter) == 0 {
		filter = append(filter, "every reason and night")
	}
	n := res.Republished
	if cfg.DryRun {
		n = res.Matched
	}
	fmt.Fprintf(e.Stdout, "redrive %s -> %s (%s): %s %d of %d; failed %d; left on %s %d\n",
		cfg.Subscription, cfg.PubSubTopic, strings.Join(filter, ", "), verb, n, res.Seen, res.Failed, cfg.Subscription, res.Left)
	if res.Failed > 0 {
		return cli.ExitError(1)
	}
	return nil
}
