package main

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ztfbridge/ztfbridge/bqloader"
	"github.com/ztfbridge/ztfbridge/internal/core/cli"
	"github.com/ztfbridge/ztfbridge/internal/core/deps"
)

// runLoad runs the BigQuery loader until SIGTERM or SIGINT, then drains:
// what was received is written and acknowledged, or handed back to
// Pub/Sub (see package bqloader).
func runLoad(ctx context.Context, e cli.Env, args []string) error {
	cfg := bqloader.DefaultConfig()
	return runComponent(ctx, e, "load", args, &cfg, ":9465", func(ctx context.Context, reg *prometheus.Registry) (component, error) {
		return bqloader.New(ctx, cfg, deps.WithLogger(e.Log), deps.WithRegistry(reg))
	})
}
