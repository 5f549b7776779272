package connector_test

import (
	"testing"
	"time"

	"github.com/ztfbridge/ztfbridge/internal/night"
)

// TestRebalanceDrainsAndCommits starts a second connector of the same
// group while the first is mid-stream. The rebalance moves partitions from
// the first to the second; the first drains and commits them before it
// lets go, so no message is published twice and all are committed.
func TestRebalanceDrainsAndCommits(t *testing.T) {
	b := newBridge(t)
	d := time.Date(2024, 12, 1, 0, 0, 0, 0, time.UTC)
	topic := night.Topic(d)
	packets := nightPackets(t, d, 1200, 12)
	b.produce(topic, 8, data(packets))

	cfg := b.cfg
	cfg.Topic = topic
	cfg.Consumers = 1
	cfg.MaxOutstandingMessages = 20 // slow enough for the second to join mid-stream
	first, stopFirst := b.run(cfg)
	waitFor(t, time.Minute, func() bool { return metric(t, first, "ztfbridge_connector_published_total", nil) >= 100 },
		func() string { return "the first connector published nothing" })
	second, stopSecond := b.run(cfg)
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
