package main

import (
	"context"
	"fmt"

	"github.com/ztfbridge/ztfbridge/connector"
	"github.com/ztfbridge/ztfbridge/connector/connectbench"
	"github.com/ztfbridge/ztfbridge/internal/night"
)

// runBenchConnect times the connector against a bare sarama consumer and a
// bare Pub/Sub publisher on a local kfake and Pub/Sub emulator, and prints
// the three rates and the connector's ratio to the slower raw client.
func runBenchConnect(ctx context.Context, e env, args []string) error {
	cfg := connectbench.Config{Connector: connector.DefaultConfig(), Log: e.log}
	fs := newFlagSet(e, "bench connect")
	fs.IntVar(&cfg.Alerts, "alerts", 20_000, "synthetic alerts (60-90 KB each) produced and moved")
	partitions := fs.Int("partitions", 16, "partitions of the Kafka topic")
	day := fs.String("night", "20240601", "night of the synthetic alerts, `YYYYMMDD`")
	fs.Uint64Var(&cfg.Seed, "seed", 1, "seed of the synthetic alerts")
	fs.IntVar(&cfg.Rounds, "rounds", 3, "times each pass runs; the fastest counts")
	fs.StringVar(&cfg.PubSubHeap, "pubsub-heap", "6g", "maximum heap of the Pub/Sub emulator's JVM (java -Xmx)")
	// The connector's own flags tune the pass under test (and the raw
	// clients, which use the same Kafka and publish settings); the bench
	// sets the brokers, project, topics and group itself.
	cfg.Connector.AddFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var err error
	if cfg.Night, err = night.Parse(*day); err != nil {
		return fmt.Errorf("--night: %w", err)
	}
	cfg.Partitions = int32(*partitions)
	report, err := connectbench.Run(ctx, cfg)
	if err != nil {
		return err
	}
	report.Print(e.stdout)
	return nil
}
