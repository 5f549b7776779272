package main

import (
	"context"
	"fmt"
	"os"

	"github.com/ztfbridge/ztfbridge/internal/core/cli"
	"github.com/ztfbridge/ztfbridge/internal/core/config"
	"github.com/ztfbridge/ztfbridge/internal/dev/stack"
)

// runUp starts the local stack, prints the shell environment that points
// ztfbridge, gcloud, gsutil, bq and kcat at it, and stops every server on
// Ctrl-C or SIGTERM.
func runUp(ctx context.Context, e cli.Env, args []string) error {
	fs := cli.NewFlagSet(e, "up")
	var cfg stack.Config
	fs.StringVar(&cfg.Project, "project-id", stack.DefaultProject, "Google Cloud project id of the local stack")
	fs.IntVar(&cfg.Kafka.Port, "kafka-port", 9092, "first Kafka broker's port (0 = any free port)")
	fs.IntVar(&cfg.Kafka.Brokers, "kafka-brokers", 1, "number of Kafka brokers, on consecutive ports")
	fs.IntVar(&cfg.Kafka.Partitions, "kafka-partitions", 16, "partitions of each Kafka topic created (ZTF's have 16)")
	fs.BoolVar(&cfg.Kafka.AutoCreateTopics, "kafka-auto-create-topics", false, "let Kafka create a topic on first use (ZTF's brokers do not)")
	fs.Var(config.List(&cfg.Kafka.Topics), "kafka-topics", "comma-separated Kafka `topics` to create, e.g. ztf_20240715_programid1")
	fs.IntVar(&cfg.PubSub.Port, "pubsub-port", 8085, "Pub/Sub emulator port (0 = any free port)")
	fs.StringVar(&cfg.PubSub.Heap, "pubsub-heap", "2g", "Pub/Sub emulator's maximum JVM heap (java -Xmx)")
	cfg.PubSub.Topics = []string{"ztf-alerts", "ztf-alerts-deadletter"}
	fs.Var(config.List(&cfg.PubSub.Topics), "pubsub-topics", "comma-separated Pub/Sub `topics` to create")
	fs.IntVar(&cfg.GCS.Port, "gcs-port", 4443, "Cloud Storage HTTP port (0 = any free port)")
	fs.IntVar(&cfg.GCS.HTTPSPort, "gcs-https-port", 4444, "Cloud Storage HTTPS port, for gsutil (0 = any free port)")
	fs.StringVar(&cfg.GCS.Dir, "gcs-dir", "", "keep Cloud Storage objects in this folder (default: in memory)")
	cfg.GCS.Buckets = []string{"ztf-alerts"}
	fs.Var(config.List(&cfg.GCS.Buckets), "buckets", "comma-separated Cloud Storage `buckets` to create")
	fs.IntVar(&cfg.BigQuery.Port, "bigquery-port", 9050, "BigQuery emulator REST port (0 = any free port)")
	fs.IntVar(&cfg.BigQuery.GRPCPort, "bigquery-grpc-port", 9060, "BigQuery emulator Storage API (gRPC) port (0 = any free port)")
	fs.StringVar(&cfg.BigQuery.Binary, "bq-emulator", "", "BigQuery emulator binary (default: built once from tools/bqemulator into the Go build cache)")
	envFile := fs.String("env-file", "", "also write the export lines to this `file`, for scripts to source")
	if err := cli.ParseFlags(fs, args); err != nil {
		return err
	}

	s, err := stack.Start(ctx, e.Log, cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.WriteShell(e.Stdout); err != nil {
		return err
	}
	if *envFile != "" {
		f, err := os.Create(*envFile)
		if err != nil {
			return err
		}
		werr := s.WriteShell(f)
		if err := f.Close(); werr == nil {
			werr = err
		}
		if werr != nil {
			return fmt.Errorf("env file: %w", werr)
		}
	}
	e.Log.Info("local stack running; Ctrl-C stops it")
	<-ctx.Done()
	e.Log.Info("stopping the local stack")
	return nil
}
