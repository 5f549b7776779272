package main

import (
	"context"
	"errors"
	"flag"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ztfbridge/ztfbridge/internal/core/cli"
	"github.com/ztfbridge/ztfbridge/internal/core/metrics"
)

// metricsFlag defines --metrics-addr on fs with the component's port.
func metricsFlag(fs *flag.FlagSet, def string) *string {
	return fs.String("metrics-addr", def, "serve Prometheus /metrics and /healthz on this `address`; empty = off")
}

// listenMetrics binds addr for reg before the component starts, so that a
// port in use stops the command at once; nil for an empty addr.
func listenMetrics(e cli.Env, addr string, reg *prometheus.Registry) (*metrics.Server, error) {
	if addr == "" {
		return nil, nil
	}
	return metrics.Listen(e.Log, addr, reg)
}

// runServing runs run while srv (if any) serves. A metrics server that
// fails stops run (its context is cancelled): the component never runs
// unobserved. The error is run's and the server's.
func runServing(ctx context.Context, e cli.Env, srv *metrics.Server, run func(context.Context) error) error {
	if srv == nil {
		return run(ctx)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	served := make(chan error, 1)
	go func() {
		err := srv.Serve(ctx)
		if err != nil {
			e.Log.Error("metrics server failed; stopping", "err", err)
			cancel()
		}
		served <- err
	}()
	err := run(ctx)
	cancel()
	return errors.Join(err, <-served)
}
