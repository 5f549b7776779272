package stack

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"cloud.google.com/go/bigquery"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/ztfbridge/ztfbridge/internal/dev/child"
)

// BigQueryEmulatorVersion is the goccy/bigquery-emulator release that
// tools/bqemulator pins; the cached binary's name carries it.
const BigQueryEmulatorVersion = "v0.8.1"

// bigQueryEmulatorBuild names the cached binary: the release and the
// revision of tools/bqemulator's storage (the memdb VFS), so that a binary
// cached by an older tools/bqemulator is not reused.
const bigQueryEmulatorBuild = "bqemulator-" + BigQueryEmulatorVersion + "-memdb"

// BigQueryOptions configures StartBigQuery. The zero value runs the
// emulator for project DefaultProject on free loopback ports.
type BigQueryOptions struct {
	// Port is the REST port (0 picks a free one).
	Port int
	// GRPCPort is the Storage API (gRPC) port (0 picks a free one).
	GRPCPort int
	// Project is the project the emulator holds (default DefaultProject).
	Project string
	// Binary is the emulator to run. Empty means $ZTFBRIDGE_BQ_EMULATOR, else
	// the binary cached by an earlier build, else a new build (see Source).
	Binary string
	// Source is the tools/bqemulator folder to build from when there is no
	// binary. Empty means tools/bqemulator of the ztfbridge repository
	// above the working directory.
	Source string
	// StartTimeout bounds the wait for the emulator to answer (default 60s).
	StartTimeout time.Duration
}

func (o BigQueryOptions) withDefaults() BigQueryOptions {
	o.Project = cmp.Or(o.Project, DefaultProject)
	o.Binary = cmp.Or(o.Binary, os.Getenv("ZTFBRIDGE_BQ_EMULATOR"))
	if o.StartTimeout <= 0 {
		o.StartTimeout = 60 * time.Second
	}
	return o
}

// BigQuery is a running goccy/bigquery-emulator, storing tables in memory.
type BigQuery struct {
	// Project is the project id the emulator holds.
	Project string
	// Addr is the REST host:port.
	Addr string
	// GRPCAddr is the Storage API host:port.
	GRPCAddr string

	proc   *child.Process
	dir    string
	closed bool
}

// StartBigQuery starts the BigQuery emulator in its own process group and
// waits until it answers; Close kills the group. The first start on a
// machine builds the emulator (about 5 minutes, logged) into the Go build
// cache; later starts reuse it.
func StartBigQuery(ctx context.Context, log *slog.Logger, opts BigQueryOptions) (*BigQuery, error) {
	opts = opts.withDefaults()
	bin, err := bigQueryEmulator(ctx, log, opts)
	if err != nil {
		return nil, err
	}
	ports, err := freePorts(opts.Port, opts.GRPCPort)
	if err != nil {
		return nil, fmt.Errorf("bigquery emulator: %w", err)
	}
	port, grpcPort := ports[0], ports[1]
	b := &BigQuery{Project: opts.Project, Addr: loopback(port), GRPCAddr: loopback(grpcPort)}
	if b.dir, err = os.MkdirTemp("", "ztfbridge-bigquery-"); err != nil {
		return nil, fmt.Errorf("bigquery emulator: %w", err)
	}
	started := time.Now()
	b.proc, err = startChild("bigquery-emulator", b.dir, bin, []string{
		"--project=" + opts.Project, "--host=127.0.0.1",
		fmt.Sprintf("--port=%d", port), fmt.Sprintf("--grpc-port=%d", grpcPort),
	}, nil)
	if err != nil {
		b.Close()
		return nil, err
	}
	datasets := b.Endpoint() + "/bigquery/v2/projects/" + opts.Project + "/datasets"
	err = waitReady(ctx, b.proc, opts.StartTimeout, func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, datasets, nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: %s", datasets, resp.Status)
		}
		return nil
	})
	if err != nil {
		b.Close()
		return nil, err
	}
	log.Info("BigQuery emulator ready", "endpoint", b.Endpoint(), "pid", b.PID(), "took", time.Since(started).Round(time.Millisecond).String())
	return b, nil
}

// bigQueryEmulator returns the emulator binary to run, building it if needed.
func bigQueryEmulator(ctx context.Context, log *slog.Logger, opts BigQueryOptions) (string, error) {
	if opts.Binary != "" {
		if _, err := os.Stat(opts.Binary); err != nil {
			return "", fmt.Errorf("bigquery emulator: %w", err)
		}
		return opts.Binary, nil
	}
	cache, err := exec.CommandContext(ctx, "go", "env", "GOCACHE").Output()
	if err != nil {
		return "", fmt.Errorf("bigquery emulator: no binary given and no Go toolchain to build one (go env GOCACHE: %w)", err)
	}
	bin := filepath.Join(strings.TrimSpace(string(cache)), "ztfbridge", bigQueryEmulatorBuild)
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	src := opts.Source
	if src == "" {
		if src, err = findSource(); err != nil {
			return "", fmt.Errorf("bigquery emulator: %w", err)
		}
	}
	log.Info("building the BigQuery emulator (first time ~5 min)...", "source", src, "into", bin)
	started := time.Now()
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		return "", fmt.Errorf("bigquery emulator: %w", err)
	}
	tmp := bin + fmt.Sprintf(".%d.tmp", os.Getpid())
	build := exec.CommandContext(ctx, "go", "build", "-o", tmp, ".")
	build.Dir = src
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("bigquery emulator: go build in %s: %w\n%s", src, err, out)
	}
	// Renaming makes the binary appear whole to a concurrent start.
	if err := os.Rename(tmp, bin); err != nil {
		return "", fmt.Errorf("bigquery emulator: %w", err)
	}
	log.Info("built the BigQuery emulator", "took", time.Since(started).Round(time.Second).String())
	return bin, nil
}

// findSource returns tools/bqemulator of the repository the working
// directory is in.
func findSource() (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", fmt.Errorf("%w, or set ZTFBRIDGE_BQ_EMULATOR", err)
	}
	src := filepath.Join(root, "tools", "bqemulator")
	if _, err := os.Stat(filepath.Join(src, "main.go")); err != nil {
		return "", fmt.Errorf("no emulator source to build from (set ZTFBRIDGE_BQ_EMULATOR): %w", err)
	}
	return src, nil
}

// Endpoint returns the REST endpoint, "http://127.0.0.1:PORT", for
// option.WithEndpoint and bq --api.
func (b *BigQuery) Endpoint() string { return "http://" + b.Addr }

// ClientOptions returns the options that point a BigQuery client at the
// emulator without credentials.
func (b *BigQuery) ClientOptions() []option.ClientOption {
	return []option.ClientOption{option.WithEndpoint(b.Endpoint()), option.WithoutAuthentication()}
}

// StorageWriteOptions returns the options that point a Storage Write API
// client (managedwriter) at the emulator's gRPC port without credentials.
func (b *BigQuery) StorageWriteOptions() []option.ClientOption {
	return []option.ClientOption{option.WithEndpoint(b.GRPCAddr), option.WithoutAuthentication(),
		option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials()))}
}

// Client returns a new BigQuery client of Project on the emulator. The
// caller closes it.
func (b *BigQuery) Client(ctx context.Context) (*bigquery.Client, error) {
	c, err := bigquery.NewClient(ctx, b.Project, b.ClientOptions()...)
	if err != nil {
		return nil, fmt.Errorf("bigquery client for %s: %w", b.Endpoint(), err)
	}
	return c, nil
}

// Env returns ZTFBRIDGE_BIGQUERY_API and ZTFBRIDGE_BIGQUERY_STORAGE_API
// (the --bigquery-api and --bigquery-storage-api of ztfbridge's commands)
// and CLOUDSDK_API_ENDPOINT_OVERRIDES_BIGQUERY, read by bq (which also
// needs CLIEnv's fake access token).
func (b *BigQuery) Env() []string {
	return []string{
		"ZTFBRIDGE_BIGQUERY_API=" + b.Endpoint(),
		"ZTFBRIDGE_BIGQUERY_STORAGE_API=" + b.GRPCAddr,
		"CLOUDSDK_API_ENDPOINT_OVERRIDES_BIGQUERY=" + b.Endpoint() + "/bigquery/v2/",
	}
}

// PID returns the emulator's process id, the leader of its process group.
func (b *BigQuery) PID() int { return b.proc.Pid() }

// Close stops the emulator, killing its process group, and drops its
// tables. Calling it again is harmless.
func (b *BigQuery) Close() {
	if b.closed {
		return
	}
	b.closed = true
	if b.proc != nil {
		_ = b.proc.Stop(5 * time.Second)
	}
	if b.dir != "" {
		_ = os.RemoveAll(b.dir)
	}
}
