package main

import (
	"context"
	"errors"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ztfbridge/ztfbridge/internal/core/cli"
	"github.com/ztfbridge/ztfbridge/internal/core/deps"
	"github.com/ztfbridge/ztfbridge/internal/core/metrics"
)

// component is a long-running component as the commands run it: made by
// New, then Run until SIGTERM, then Close.
type component interface {
	Run(ctx context.Context) error
	Close() error
}

// componentCommand is the command of a long-running component: the
// flags of its Config (defaults from defaults) and --metrics-addr (default
// metricsAddr), then the component newComponent makes, run until SIGTERM
// or SIGINT, when it drains (see runComponent).
func componentCommand[C any, P interface {
	*C
	cli.Settings
}, T component](name, metricsAddr string, defaults func() C, newComponent func(context.Context, C, ...deps.Option) (T, error)) func(context.Context, cli.Env, []string) error {
	return func(ctx context.Context, e cli.Env, args []string) error {
		cfg := defaults()
		return runComponent(ctx, e, name, args, P(&cfg), metricsAddr, func(ctx context.Context, reg *prometheus.Registry) (component, error) {
			return newComponent(ctx, cfg, deps.WithLogger(e.Log), deps.WithRegistry(reg))
		})
	}
}

// runComponent is the command of a long-running component (connect,
// load): it reads the component's flags (those of cfg) and --metrics-addr
// (default metricsAddr), checks cfg, binds the metrics port before the
// component starts, so that a port in use stops the command at once, then
// makes the component with start, runs it while serving its metrics, and
// closes it.
func runComponent(ctx context.Context, e cli.Env, name string, args []string, cfg cli.Settings, metricsAddr string,
	start func(ctx context.Context, reg *prometheus.Registry) (component, error)) error {
	fs := cli.NewFlagSet(e, name)
	addr := fs.String("metrics-addr", metricsAddr, "serve Prometheus /metrics and /healthz on this `address`; empty = off")
	if err := cli.ParseSettings(e, fs, args, cfg); err != nil {
		return err
	}
	reg := metrics.NewRegistry()
	var srv *metrics.Server
	if *addr != "" {
		var err error
		if srv, err = metrics.Listen(e.Log, *addr, reg); err != nil {
			return err
		}
	}
	c, err := start(ctx, reg)
	if err != nil {
		return err
	}
	runErr := runServing(ctx, e, srv, c.Run)
	if err := c.Close(); runErr == nil {
		runErr = err
	}
	return runErr
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
