package functions

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"

	"github.com/GoogleCloudPlatform/functions-framework-go/funcframework"
	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/ztfbridge/ztfbridge/internal/core/config"
	"github.com/ztfbridge/ztfbridge/internal/core/logging"
)

// EntryPoint is the name under which the deployed function registers with
// the functions framework: the entry point terraform names.
const EntryPoint = "StoreAlert"

// Runtime is the Cloud Functions runtime the source archive is built for.
// Its Go version must be at least the go line of the archive's go.mod.
const Runtime = "go126"

// FromEnv returns the CloudEvent function of a deployed instance. On its
// first call it reads Config and the log level from the environment
// (ZTFBRIDGE_BUCKET, ZTFBRIDGE_PREFIX, ZTFBRIDGE_QUARANTINE_PREFIX,
// ZTFBRIDGE_LOG_LEVEL) and builds one Archiver, which every later call of
// the instance reuses. A failed start returns the error to that call (the
// message is redelivered) and is tried again on the next one.
//
// The Archiver is never closed: Cloud Run ends the instance, and a message
// in flight then is redelivered and found already stored.
func FromEnv() func(context.Context, cloudevents.Event) error {
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
		a, err = New(context.WithoutCancel(ctx), cfg, WithLogger(log))
		return a, err
	}
	return func(ctx context.Context, e cloudevents.Event) error {
		a, err := start(ctx)
		if err != nil {
			return fmt.Errorf("starting the function: %w", err)
		}
		return a.ReceiveEvent(ctx, e)
	}
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
		return Config{}, nil, fmt.Errorf("functions: %w", err)
	}
	return cfg, logging.New(os.Stderr, level), nil
}

// Serve serves a.ReceiveEvent with the functions framework on addr
// (host:port), as Cloud Functions does, until ctx is done. The framework
// turns a Pub/Sub push request (the push subscriptions of the local
// emulator) into the same CloudEvent that Eventarc delivers, and also
// accepts CloudEvents; a push endpoint ending in
// /projects/PROJECT/topics/TOPIC tells it the topic.
//
// Like Cloud Run, Serve sets FUNCTION_TARGET in the process environment
// (to EntryPoint): the framework then serves the function at every path.
// The framework has no way to stop its listener: Serve returns when ctx is
// done and leaves it open until the process exits. The caller then closes
// a, which waits for the messages in flight and makes later deliveries
// fail, to be redelivered.
func Serve(ctx context.Context, addr string, a *Archiver) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("functions: serve address %q: %w", addr, err)
	}
	// Registered by path, the function is not found under FUNCTION_TARGET's
	// name and the framework serves the last function registered by path:
	// this one, even if Serve is called again in one process.
	if err := funcframework.RegisterCloudEventFunctionContext(ctx, "/", a.ReceiveEvent); err != nil {
		return fmt.Errorf("functions: registering with the functions framework: %w", err)
	}
	if err := os.Setenv("FUNCTION_TARGET", EntryPoint); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- funcframework.StartHostPort(host, port) }()
	select {
	case err := <-done:
		return fmt.Errorf("functions: serving on %s: %w", addr, err)
	case <-ctx.Done():
		return nil
	}
}
