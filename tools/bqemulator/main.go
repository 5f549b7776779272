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
	_ "github.com/ncruces/go-sqlite3/vfs/memdb" // registers the memdb VFS
)

// storage is the emulator's SQLite database: in memory, but in the memdb
// VFS, whose one database every connection shares. The emulator's own
// MemoryStorage ("file::memory:?cache=shared") gives each connection of
// ncruces/go-sqlite3 a private, empty database (shared cache does not
// cross WebAssembly instances), so an append and a query at the same time
// made the second connection answer "no such table". Transactions take the
// write lock when they begin (_txlock=immediate), and busy_timeout makes a
// connection wait for it: two writers never deadlock into "database is
// locked".
const storage = server.Storage("file:/bqemulator.db?vfs=memdb&_pragma=busy_timeout(30000)&_txlock=immediate")

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
	srv, err := server.New(storage)
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
