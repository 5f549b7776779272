package stack_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/storage"

	"github.com/ztfbridge/ztfbridge/internal/dev/stack"
)

// Kafka and Cloud Storage run in-process; point clients at Addrs and
// Client (or ClientOptions).
func Example() {
	ctx := context.Background()
	k, err := stack.StartKafka(ctx, stack.KafkaOptions{Topics: []string{"ztf_20240715_programid1"}})
	if err != nil {
		panic(err)
	}
	defer k.Close()
	fmt.Println("brokers:", len(k.Addrs()))

	g, err := stack.StartGCS(ctx, stack.GCSOptions{Buckets: []string{"ztf-alerts"}})
	if err != nil {
		panic(err)
	}
	defer g.Close()
	c, err := g.Client(ctx)
	if err != nil {
		panic(err)
	}
	defer c.Close()
	obj := c.Bucket("ztf-alerts").Object("ztf_20240715_programid1_2803123456015015010.avro")
	for range 2 {
		w := obj.If(storage.Conditions{DoesNotExist: true}).NewWriter(ctx)
		w.Write([]byte("Obj\x01"))
		fmt.Println("write-once:", w.Close() == nil)
	}
	// Output:
	// brokers: 1
	// write-once: true
	// write-once: false
}

// The Pub/Sub emulator is a process: start it once, then give each use a
// clean topic and subscription.
func ExampleStartPubSub() {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	p, err := stack.StartPubSub(ctx, log, stack.PubSubOptions{})
	if err != nil {
		panic(err)
	}
	defer p.Close()
	if _, err := p.ResetTopic(ctx, "ztf-alerts"); err != nil {
		panic(err)
	}
	if _, err := p.ResetPullSubscription(ctx, "ztf-alerts-bigquery", "ztf-alerts"); err != nil {
		panic(err)
	}
	c, err := p.Client(ctx)
	if err != nil {
		panic(err)
	}
	defer c.Close()
	pub := c.Publisher("ztf-alerts")
	defer pub.Stop()
	id, err := pub.Publish(ctx, &pubsub.Message{Data: []byte("alert")}).Get(ctx)
	fmt.Println(id != "", err)
	// Output: true <nil>
}
