// Command bqemulator runs github.com/goccy/bigquery-emulator, pinned at v0.8.1,
// for ztfbridge's tests and local stack. It lives in its own module so the
// emulator's large dependency tree never enters the ztfbridge module.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/goccy/bigquery-emulator/server"
	"github.com/goccy/bigquery-emulator/types"
)

func main() {
	project := flag.String("project", "ztfbridge-local", "BigQuery project id to create")
	host := flag.String("host", "127.0.0.1", "address to listen on")
	port := flag.Int("port", 9050, "HTTP (REST) port")
	grpcPort := flag.Int("grpc-port", 9060, "gRPC (Storage API) port")
	flag.Parse()
	if err := run(*project, *host, *port, *grpcPort); err != nil {
		slog.Error("bqemulator", "err", err)
		os.Exit(1)
	}
}

func run(project, host string, port, grpcPort int) error {
	srv, err := server.New(server.MemoryStorage)
	if err != nil {
		return fmt.Errorf("new server: %w", err)
	}
	if err := srv.Load(server.StructSource(types.NewProject(project))); err != nil {
		return fmt.Errorf("load project: %w", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() {
		errc <- srv.Serve(ctx, fmt.Sprintf("%s:%d", host, port), fmt.Sprintf("%s:%d", host, grpcPort))
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		return srv.Stop(context.Background())
	}
}
