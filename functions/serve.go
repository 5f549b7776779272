package functions

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"

	"github.com/ztfbridge/ztfbridge/internal/core/config"
	"github.com/ztfbridge/ztfbridge/internal/core/deps"
	"github.com/ztfbridge/ztfbridge/internal/core/logging"
)

// EntryPoint is the name under which the deployed function registers with
// the functions framework (package entrypoint): the entry point terraform
// names.
const EntryPoint = "StoreAlert"

// Runtime is the Cloud Functions runtime the source archive is built for.
// Its Go version must be at least the go line of the archive's go.mod.
const Runtime = "go126"

// FromEnv returns the handler of a deployed instance (ServeHTTP). On its
// first request it reads Config and the log level from the environment
// (ZTFBRIDGE_BUCKET, ZTFBRIDGE_PREFIX, ZTFBRIDGE_QUARANTINE_PREFIX,
// ZTFBRIDGE_LOG_LEVEL) and builds one Archiver, which every later request
// of the instance reuses. A failed start is logged and answered 500 (the
// message is redelivered), and is tried again on the next request.
//
// The Archiver is never closed: Cloud Run ends the instance, and a message
// in flight then is redelivered and found already stored.
func FromEnv() http.Handler {
	var (
		mu sync.Mutex
		a  *Archiver
	)
	start := func(ctx context.Context) (*Archiver, error) {
		mu.Lock()
		defer mu.Unlock()
		if a != nil {
			return a, nil
		}
		cfg, log, err := envConfig(os.LookupEnv)
		if err != nil {
			return nil, err
		}
		// The client outlives the request that happens to create it.
		a, err = New(context.WithoutCancel(ctx), cfg, deps.WithLogger(log))
		return a, err
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, err := start(r.Context())
		if err != nil {
			err = fmt.Errorf("starting the function: %w", err)
			logging.New(os.Stderr, slog.LevelError).ErrorContext(r.Context(), "function not started; Pub/Sub will deliver the message again", "err", err)
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		a.ServeHTTP(w, r)
	})
}

// envConfig reads the deployed function's configuration through lookup,
// with the same names as the flags of "ztfbridge serve-function".
func envConfig(lookup func(string) (string, bool)) (Config, *slog.Logger, error) {
	fs := flag.NewFlagSet(EntryPoint, flag.ContinueOnError)
	cfg := DefaultConfig()
	cfg.AddFlags(fs)
	level := slog.LevelInfo
	fs.TextVar(&level, "log-level", level, "minimum `level` logged: debug, info, warn or error")
	if err := config.ParseEnv(fs, nil, lookup); err != nil {
		return Config{}, nil, err
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, nil, fmt.Errorf("functions: %w", config.InEnv(err, fs, &cfg))
	}
	return cfg, logging.New(os.Stderr, level), nil
}

// Serve serves a (ServeHTTP) on addr (host:port), at every path, until
// ctx is done: the Pub/Sub push requests of the local emulator and
// Eventarc's binary-mode CloudEvents, as the deployed function takes them.
// When ctx is done it closes the listener (later deliveries fail and are
// redelivered) and returns once the requests in flight are answered. The
// caller then closes a.
func Serve(ctx context.Context, addr string, a *Archiver) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("functions: serving on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: a}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	select {
	case err := <-done:
		return fmt.Errorf("functions: serving on %s: %w", addr, err)
	case <-ctx.Done():
	}
	err = srv.Shutdown(context.WithoutCancel(ctx))
	<-done // http.ErrServerClosed
	if err != nil {
		return fmt.Errorf("functions: stopping the server on %s: %w", addr, err)
	}
	return nil
}
