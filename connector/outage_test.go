package connector_test

import (
	"context"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ztfbridge/ztfbridge/connector"
	"github.com/ztfbridge/ztfbridge/internal/core/deps"
	"github.com/ztfbridge/ztfbridge/internal/dev/stack/stacktest"
)

// TestPublishFailuresAreRetried takes the alert topic away while the
// connector runs: every publish fails, nothing is committed past them, and
// once the topic is back the retries deliver every alert.
func TestPublishFailuresAreRetried(t *testing.T) {
	b := newBridge(t)
	topic, packets := b.produceNight(time.Date(2025, 2, 2, 0, 0, 0, 0, time.UTC), 30, 40, 3)

	cfg := b.cfg
	cfg.KafkaTopic = topic
	reg := prometheus.NewRegistry()
	c, err := connector.New(t.Context(), cfg, append(b.opts, deps.WithRegistry(reg))...)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	admin, err := b.pubsub.Client(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	name := b.pubsub.TopicName(cfg.PubSubTopic)
	if err := admin.TopicAdminClient.DeleteTopic(t.Context(), &pubsubpb.DeleteTopicRequest{Topic: name}); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	// Each partition's first message fails, is retried at once, fails
	// again: then its retries wait at least a second, time enough to bring
	// the topic back with a subscription before any retry succeeds.
	stacktest.WaitFor(t, time.Minute, "publishes did not fail", func() bool { return metric(t, reg, "ztfbridge_connector_publish_failures_total", nil) >= 6 })
	committed, _ := offsets(t, b.kafka.Addrs(), cfg.Group, topic)
	for p, o := range committed {
		if o > 0 {
			t.Errorf("partition %d committed to %d while nothing was published", p, o)
		}
	}

	if _, err := admin.TopicAdminClient.CreateTopic(t.Context(), &pubsubpb.Topic{Name: name}); err != nil {
		t.Fatal(err)
	}
	back := b.subscribe(cfg.PubSubTopic)
	recovering := time.Now()
	back.waitCandids(t, packets, 2*time.Minute)
	// The 10 messages behind each partition's first do not wait 1 s each.
	if took := time.Since(recovering); took > 8*time.Second {
		t.Errorf("recovery took %v", took)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	assertCommittedToEnd(t, b.kafka.Addrs(), cfg.Group, topic)
	if n := b.logs.count("publish failed; retrying"); n != 1 {
		t.Errorf("%d publish-failure log lines, want 1 (rate-limited)", n)
	}
}
