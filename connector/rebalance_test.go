package connector_test

import (
	"testing"
	"time"

	"github.com/IBM/sarama"
	"google.golang.org/api/option"

	"github.com/ztfbridge/ztfbridge/internal/core/deps"
	"github.com/ztfbridge/ztfbridge/internal/dev/stack/stacktest"
)

// TestRebalanceDrainsAndCommits starts a second connector of the same
// group while the first is mid-stream. The rebalance moves partitions from
// the first to the second; the first drains and commits them before it
// lets go, so no message is published twice and all are committed.
//
// The first reaches Pub/Sub through a proxy that holds its traffic from
// the moment the second starts until the group is rebalancing: the first
// cannot finish the topic alone, whatever the speed of the machine.
func TestRebalanceDrainsAndCommits(t *testing.T) {
	b := newBridge(t)
	topic, packets := b.produceNight(time.Date(2024, 12, 1, 0, 0, 0, 0, time.UTC), 1200, 12, 8)

	cfg := b.cfg
	cfg.KafkaTopic = topic
	cfg.Consumers = 1
	cfg.MaxOutstandingMessages = 20
	// A member starved of CPU past its session (the whole -race suite on
	// two cores) is dropped and its partitions read again: at-least-once,
	// not the exactly-once handover this test is about.
	cfg.SessionTimeout = time.Minute
	proxy := stacktest.NewProxy(t, b.pubsub.Addr)
	first, stopFirst := b.run(cfg, deps.WithPubSubOptions(option.WithEndpoint(proxy.Addr)))
	stacktest.WaitFor(t, time.Minute, "the first connector published nothing", func() bool { return metric(t, first, "ztfbridge_connector_published_total", nil) >= 100 })
	proxy.Pause()
	second, stopSecond := b.run(cfg)
	admin := stacktest.KafkaAdmin(t, b.kafka.Addrs())
	stacktest.WaitFor(t, time.Minute, "the group never began to rebalance", func() bool { return groupState(t, admin, cfg.Group) == "PreparingRebalance" })
	proxy.Resume()
	b.alerts.waitCandids(t, packets, 3*time.Minute)
	for _, stop := range []func() error{stopFirst, stopSecond} {
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	}
	assertCommittedToEnd(t, b.kafka.Addrs(), cfg.Group, topic)
	p1 := metric(t, first, "ztfbridge_connector_published_total", nil)
	p2 := metric(t, second, "ztfbridge_connector_published_total", nil)
	if p2 == 0 {
		t.Fatal("the second connector got no partitions: no rebalance happened")
	}
	if p1+p2 != float64(len(packets)) {
		t.Errorf("published %v + %v, want exactly %d: the rebalance repeated or lost messages", p1, p2, len(packets))
	}
	if n := b.logs.count("partitions assigned"); n < 3 {
		t.Errorf("%d assignments logged, want a rebalance", n)
	}
}

// groupState returns the state of a consumer group as the brokers
// describe it (Stable, PreparingRebalance, ...).
func groupState(t *testing.T, admin sarama.ClusterAdmin, group string) string {
	t.Helper()
	gs, err := admin.DescribeConsumerGroups([]string{group})
	if err != nil || len(gs) != 1 {
		t.Fatalf("describe group %s: %v", group, err)
	}
	return gs[0].State
}
