package main

import (
	"context"
	"net"
	"strconv"

	"github.com/ztfbridge/ztfbridge/functions"
	"github.com/ztfbridge/ztfbridge/internal/core/cli"
	"github.com/ztfbridge/ztfbridge/internal/core/deps"
)

// runServeFunction runs the GCS-writing Cloud Function locally, the same
// handler as the deployed one (functions.Serve), for a Pub/Sub (emulator)
// push subscription whose endpoint is http://HOST:PORT/projects/PROJECT/topics/TOPIC.
func runServeFunction(ctx context.Context, e cli.Env, args []string) error {
	fs := cli.NewFlagSet(e, "serve-function")
	cfg := functions.DefaultConfig()
	host := fs.String("host", "localhost", "`address` to listen on; empty for every interface")
	port := fs.Int("port", 8080, "`port` to listen on")
	if err := cli.ParseSettings(e, fs, args, &cfg); err != nil {
		return err
	}
	a, err := functions.New(ctx, cfg, deps.WithLogger(e.Log))
	if err != nil {
		return err
	}
	addr := net.JoinHostPort(*host, strconv.Itoa(*port))
	e.Log.Info("serving the function", "addr", addr, "bucket", cfg.Bucket, "entry_point", functions.EntryPoint)
	serveErr := functions.Serve(ctx, addr, a)
	if err := a.Close(); serveErr == nil {
		serveErr = err
	}
	return serveErr
}
