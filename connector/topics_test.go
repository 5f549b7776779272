package connector_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/ztfbridge/ztfbridge/connector"
	"github.com/ztfbridge/ztfbridge/internal/core/attr"
	"github.com/ztfbridge/ztfbridge/internal/core/deps"
	"github.com/ztfbridge/ztfbridge/internal/core/night"
	"github.com/ztfbridge/ztfbridge/internal/dev/stack/stacktest"
	"github.com/ztfbridge/ztfbridge/internal/dev/synth"
)

// receivedFrom counts the deliveries whose kafka.topic is topic.
func receivedFrom(r *received, topic string) int {
	n := 0
	for _, d := range r.snapshot() {
		if d.attrs[attr.KafkaTopic] == topic {
			n++
		}
	}
	return n
}

// TestRollsOverToTheNextNight runs the default topic selection across
// 00:00 UTC: before midnight only tonight's topic is read, even though the
// next night's exists; after it, the next night's is read too.
func TestRollsOverToTheNextNight(t *testing.T) {
	b := newBridge(t)
	d1 := night.Of(time.Date(2024, 6, 30, 0, 0, 0, 0, time.UTC))
	d2 := d1.AddDays(1)
	first, second := nightPackets(t, d1, 40, 3), nightPackets(t, d2, 40, 4)
	b.produce(d1.Topic(), 4, synth.Data(first))
	b.produce(d2.Topic(), 4, synth.Data(second))

	clk := &clock{t: d2.Time().Add(-10 * time.Second)}
	cfg := b.cfg
	_, stop := b.run(cfg, deps.WithClock(clk.Now))
	b.alerts.waitCandids(t, first, time.Minute)
	time.Sleep(5 * cfg.PollInterval)
	if n := receivedFrom(b.alerts, d2.Topic()); n != 0 {
		t.Fatalf("%d alerts of %s read before its night", n, d2.Topic())
	}

	clk.Set(d2.Time().Add(5 * time.Second))
	b.alerts.waitCandids(t, second, time.Minute)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	for _, d := range []night.Night{d1, d2} {
		assertCommittedToEnd(t, b.kafka.Addrs(), cfg.Group, d.Topic())
	}
}

// TestFinishesLastNightFirst checks what a connector (re)started after
// midnight reads: a group that has committed offsets on last night's
// topic, trailing its end, finishes it; a brand-new group reads tonight
// only.
func TestFinishesLastNightFirst(t *testing.T) {
	b := newBridge(t)
	d1 := night.Of(time.Date(2024, 7, 14, 0, 0, 0, 0, time.UTC))
	d2 := d1.AddDays(1)
	early, late, next := nightPackets(t, d1, 30, 5), nightPackets(t, d1, 60, 5)[30:], nightPackets(t, d2, 30, 6)
	b.produce(d1.Topic(), 3, synth.Data(early))

	cfg := b.cfg
	clk := &clock{t: d1.Time().Add(23 * time.Hour)}
	_, stop := b.run(cfg, deps.WithClock(clk.Now))
	b.alerts.waitCandids(t, early, time.Minute)
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	// The connector is down over midnight while the night goes on.
	b.produce(d1.Topic(), 3, synth.Data(late))
	b.produce(d2.Topic(), 3, synth.Data(next))
	clk.Set(d2.Time().Add(time.Hour))
	_, stop = b.run(cfg, deps.WithClock(clk.Now))
	b.alerts.waitCandids(t, late, time.Minute)
	b.alerts.waitCandids(t, next, time.Minute)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	assertCommittedToEnd(t, b.kafka.Addrs(), cfg.Group, d1.Topic())
	assertCommittedToEnd(t, b.kafka.Addrs(), cfg.Group, d2.Topic())

	fresh := cfg
	fresh.Group += "_fresh"
	reg, stop := b.run(fresh, deps.WithClock(clk.Now))
	stacktest.WaitFor(t, time.Minute, "the new group did not publish tonight's alerts", func() bool {
		return metric(t, reg, "ztfbridge_connector_published_total", nil) >= float64(len(next))
	})
	time.Sleep(5 * cfg.PollInterval)
	if n := metric(t, reg, "ztfbridge_connector_consumed_total", nil); n != float64(len(next)) {
		t.Errorf("a new group consumed %v messages, want tonight's %d only", n, len(next))
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

// TestWaitsForTheTopic starts the connector before tonight's topic exists:
// it waits (logging that once) and reads the topic when it appears.
func TestWaitsForTheTopic(t *testing.T) {
	b := newBridge(t)
	d := night.Of(time.Date(2024, 8, 1, 0, 0, 0, 0, time.UTC))
	cfg := b.cfg
	_, stop := b.run(cfg, deps.WithClock(func() time.Time { return d.Time().Add(3 * time.Hour) }))

	time.Sleep(10 * cfg.PollInterval)
	packets := nightPackets(t, d, 40, 7)
	b.produce(d.Topic(), 4, synth.Data(packets))
	b.alerts.waitCandids(t, packets, time.Minute)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	assertCommittedToEnd(t, b.kafka.Addrs(), cfg.Group, d.Topic())
	if n := b.logs.count("waiting for topic to exist"); n != 1 {
		t.Errorf("logged the wait %d times, want once", n)
	}
	if n := b.logs.count("topic appeared"); n != 1 {
		t.Errorf("logged the topic's arrival %d times, want once", n)
	}
}

// TestLagMetric reads the lag gauge at a connector's start, when it
// looks at the group's committed offsets before consuming: a new group's
// lag is every message of each partition, and after a clean stop the next
// start sees none.
func TestLagMetric(t *testing.T) {
	b := newBridge(t)
	d := night.Of(time.Date(2024, 8, 2, 0, 0, 0, 0, time.UTC))
	packets := nightPackets(t, d, 21, 8)
	b.produce(d.Topic(), 3, synth.Data(packets))

	cfg := b.cfg
	cfg.KafkaTopic = d.Topic()
	cfg.PollInterval = time.Hour // only the look at start
	lagAtStart := func() map[int]float64 {
		reg, stop := b.run(cfg)
		lag := map[int]float64{}
		stacktest.WaitFor(t, time.Minute, "no lag measured", func() bool {
			_, ok := series(t, reg, "ztfbridge_connector_lag", map[string]string{"topic": cfg.KafkaTopic, "partition": "2"})
			return ok
		})
		for p := range 3 {
			lag[p] = metric(t, reg, "ztfbridge_connector_lag", map[string]string{"topic": cfg.KafkaTopic, "partition": strconv.Itoa(p)})
		}
		b.alerts.waitCandids(t, packets, time.Minute)
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		return lag
	}
	if lag := lagAtStart(); lag[0] != 7 || lag[1] != 7 || lag[2] != 7 {
		t.Errorf("lag of a new group %v, want 7 per partition", lag)
	}
	if lag := lagAtStart(); lag[0]+lag[1]+lag[2] != 0 {
		t.Errorf("lag after a clean stop %v, want 0", lag)
	}
}

// TestTopicRegexAndList consumes exactly the topics a --topic-regex or a
// --topics list names, among three nights in Kafka.
func TestTopicRegexAndList(t *testing.T) {
	nights := []night.Night{
		night.Of(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)),
		night.Of(time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC)),
		night.Of(time.Date(2025, 1, 3, 0, 0, 0, 0, time.UTC)),
	}
	tests := []struct {
		name  string
		set   func(*connector.Config)
		wants []bool // per night: consumed?
	}{
		{"regex", func(c *connector.Config) { c.TopicRegex = `ztf_2025010[12]_programid1` }, []bool{true, true, false}},
		{"list", func(c *connector.Config) { c.Topics = []string{nights[0].Topic(), nights[2].Topic()} }, []bool{true, false, true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBridge(t)
			var want []synth.Packet
			for i, d := range nights {
				ps := nightPackets(t, d, 10, uint64(30+i))
				b.produce(d.Topic(), 2, synth.Data(ps))
				if tt.wants[i] {
					want = append(want, ps...)
				}
			}
			cfg := b.cfg
			tt.set(&cfg)
			reg, stop := b.run(cfg)
			b.alerts.waitCandids(t, want, time.Minute)
			time.Sleep(5 * cfg.PollInterval)
			if err := stop(); err != nil {
				t.Fatal(err)
			}
			if n := metric(t, reg, "ztfbridge_connector_consumed_total", nil); n != float64(len(want)) {
				t.Errorf("consumed %v messages, want %d", n, len(want))
			}
			for i, d := range nights {
				if got := receivedFrom(b.alerts, d.Topic()) > 0; got != tt.wants[i] {
					t.Errorf("%s consumed: %v, want %v", d.Topic(), got, tt.wants[i])
				}
			}
		})
	}
}
