package main

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ztfbridge/ztfbridge/connector"
	"github.com/ztfbridge/ztfbridge/internal/core/cli"
	"github.com/ztfbridge/ztfbridge/internal/core/deps"
)

// runConnect runs the connector until SIGTERM or SIGINT, then drains and
// commits (see package connector).
func runConnect(ctx context.Context, e cli.Env, args []string) error {
	cfg := connector.DefaultConfig()
	return runComponent(ctx, e, "connect", args, &cfg, ":9464", func(ctx context.Context, reg *prometheus.Registry) (component, error) {
		return connector.New(ctx, cfg, deps.WithLogger(e.Log), deps.WithRegistry(reg))
	})
}
