package connector_test

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"log/slog"
	"slices"
	"sync"
	"time"

	"cloud.google.com/go/pubsub/v2"

	"github.com/ztfbridge/ztfbridge/connector"
	"github.com/ztfbridge/ztfbridge/internal/core/attr"
	"github.com/ztfbridge/ztfbridge/internal/core/deps"
	"github.com/ztfbridge/ztfbridge/internal/core/night"
	"github.com/ztfbridge/ztfbridge/internal/dev/simulate"
	"github.com/ztfbridge/ztfbridge/internal/dev/stack"
	"github.com/ztfbridge/ztfbridge/internal/dev/synth"
)

// Example bridges three alerts of a night from a local Kafka to a local
// Pub/Sub emulator, stops the connector the way SIGTERM does, and reads
// the night's counts back from GCS.
func Example() {
	ctx := context.Background()
	quiet := slog.New(slog.DiscardHandler)

	// A local stack: Kafka holding tonight's alerts, Pub/Sub, GCS.
	kafka, err := stack.StartKafka(ctx, stack.KafkaOptions{})
	if err != nil {
		log.Fatal(err)
	}
	defer kafka.Close()
	ps, err := stack.StartPubSub(ctx, quiet, stack.PubSubOptions{})
	if err != nil {
		log.Fatal(err)
	}
	defer ps.Close()
	gcs, err := stack.StartGCS(ctx, stack.GCSOptions{Buckets: []string{"counts"}})
	if err != nil {
		log.Fatal(err)
	}
	defer gcs.Close()
	for _, t := range []string{"example-alerts", "example-deadletter"} {
		if _, err := ps.ResetTopic(ctx, t); err != nil {
			log.Fatal(err)
		}
	}
	if _, err := ps.ResetPullSubscription(ctx, "example-sub", "example-alerts"); err != nil {
		log.Fatal(err)
	}
	tonight := night.Of(time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC))
	gen, err := synth.New(synth.Config{Night: tonight, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	var packets [][]byte
	for range 3 {
		p, err := gen.Next()
		if err != nil {
			log.Fatal(err)
		}
		packets = append(packets, p.Data)
	}
	_, err = simulate.Run(ctx, simulate.Config{Brokers: kafka.Addrs(), Topic: tonight.Topic(), Partitions: 1}, simulate.Packets(packets))
	if err != nil {
		log.Fatal(err)
	}

	// The connector: defaults, then where to read and write.
	cfg := connector.DefaultConfig()
	cfg.Brokers = kafka.Addrs()
	cfg.PubSubProject = ps.Project
	cfg.PubSubTopic, cfg.DeadLetterTopic = "example-alerts", "example-deadletter"
	cfg.CountsBucket = "counts"

	// Its dependencies: the emulators' clients, a clock, a logger.
	c, err := connector.New(ctx, cfg,
		deps.WithPubSubOptions(ps.ClientOptions()...),
		deps.WithStorageOptions(gcs.ClientOptions()...),
		deps.WithClock(func() time.Time { return tonight.Time().Add(6 * time.Hour) }), // tonight's topic is read
		deps.WithLogger(quiet))
	if err != nil {
		log.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- c.Run(runCtx) }()

	// Receive what it published.
	client, err := ps.Client(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	var mu sync.Mutex
	var lines []string
	recvCtx, got3 := context.WithCancel(ctx)
	err = client.Subscriber("example-sub").Receive(recvCtx, func(_ context.Context, m *pubsub.Message) {
		m.Ack()
		mu.Lock()
		defer mu.Unlock()
		k, _ := attr.ParseKafka(m.Attributes)
		unchanged := bytes.Equal(m.Data, packets[k.Offset])
		lines = append(lines, fmt.Sprintf("offset %d: night %s, bytes unchanged: %v", k.Offset, m.Attributes[attr.Night], unchanged))
		if len(lines) == 3 {
			got3()
		}
	})
	if err != nil {
		log.Fatal(err)
	}

	stop() // what SIGTERM does: drain, commit, write the counts
	if err := <-done; err != nil {
		log.Fatal(err)
	}
	if err := c.Close(); err != nil {
		log.Fatal(err)
	}
	slices.Sort(lines)
	for _, l := range lines {
		fmt.Println(l)
	}

	storageClient, err := gcs.Client(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer storageClient.Close()
	counts, err := connector.ReadTally(ctx, storageClient.Bucket("counts"), tonight.Topic())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s: published %d, dead-lettered %d\n", counts.Topic, counts.Published, counts.DeadLettered)
	// Output:
	// offset 0: night 20240601, bytes unchanged: true
	// offset 1: night 20240601, bytes unchanged: true
	// offset 2: night 20240601, bytes unchanged: true
	// ztf_20240601_programid1: published 3, dead-lettered 0
}
