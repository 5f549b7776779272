package connector_test

import (
	"errors"
	"testing"
	"time"

	"cloud.google.com/go/storage"

	"github.com/ztfbridge/ztfbridge/connector"
	"github.com/ztfbridge/ztfbridge/internal/core/deps"
	"github.com/ztfbridge/ztfbridge/internal/core/night"
	"github.com/ztfbridge/ztfbridge/internal/dev/simulate"
	"github.com/ztfbridge/ztfbridge/internal/dev/stack/stacktest"
	"github.com/ztfbridge/ztfbridge/internal/dev/synth"
)

// TestReplayDedupAndCounts produces a night and its 10am replay. With
// --dedup-replay each alert is published once and its replay dropped; the
// per-topic counts in GCS say so, and a second connector (a new group,
// reading it all again) adds to them.
func TestReplayDedupAndCounts(t *testing.T) {
	b := newBridge(t)
	gcs := stacktest.GCS(t, "counts")
	d := night.Of(time.Date(2024, 9, 9, 0, 0, 0, 0, time.UTC))
	topic := d.Topic()
	packets := nightPackets(t, d, 50, 9)
	msgs := append(synth.Data(packets), []byte("corrupt one"), []byte("corrupt two"))
	_, err := simulate.Run(t.Context(), simulate.Config{Brokers: b.kafka.Addrs(), Topic: topic, Partitions: 4, Replay: true},
		simulate.Packets(msgs))
	if err != nil {
		t.Fatal(err)
	}

	cfg := b.cfg
	cfg.KafkaTopic = topic
	cfg.DedupReplay = true
	cfg.CountsBucket = "counts"
	cfg.CountsInterval = 100 * time.Millisecond
	now := func() time.Time { return d.Time().Add(18 * time.Hour) }
	client, err := gcs.Client(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	bucket := client.Bucket("counts")

	want := connector.TopicTally{Topic: topic}
	for run := range 2 {
		reg, stop := b.run(cfg, deps.WithStorageOptions(gcs.ClientOptions()...), deps.WithClock(now))
		stacktest.WaitFor(t, time.Minute, "not every message was handled", func() bool {
			return metric(t, reg, "ztfbridge_connector_consumed_total", nil) == float64(2*len(msgs)) &&
				metric(t, reg, "ztfbridge_connector_published_total", nil)+
					metric(t, reg, "ztfbridge_connector_replay_dropped_total", nil)+
					metric(t, reg, "ztfbridge_connector_dead_lettered_total", nil) == float64(2*len(msgs))
		})
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		for name, v := range map[string]float64{"published_total": 50, "replay_dropped_total": 50, "dead_lettered_total": 4} {
			if got := metric(t, reg, "ztfbridge_connector_"+name, nil); got != v {
				t.Errorf("run %d: %s = %v, want %v", run, name, got, v)
			}
		}
		want.Published += 50
		want.ReplayDropped += 50
		want.DeadLettered += 4
		got, err := connector.ReadTally(t.Context(), bucket, topic)
		if err != nil {
			t.Fatal(err)
		}
		if !got.UpdatedAt.Equal(now().UTC()) {
			t.Errorf("run %d: updated_at %v, want %v", run, got.UpdatedAt, now())
		}
		got.UpdatedAt = time.Time{}
		if got != want {
			t.Errorf("run %d: counts %+v, want %+v", run, got, want)
		}
		assertCommittedToEnd(t, b.kafka.Addrs(), cfg.Group, topic)
		cfg.Group += "_again" // the next run reads the whole topic again
	}
	// Each run published each alert once: the replay never got through.
	// Published means acknowledged by Pub/Sub, not yet delivered: wait
	// for the second run's copies before counting.
	stacktest.WaitFor(t, time.Minute, "the second run's alerts were not all delivered", func() bool {
		got := b.alerts.byCandid()
		for _, p := range packets {
			if len(got[p.Candid]) < 2 {
				return false
			}
		}
		return true
	})
	for c, ds := range b.alerts.byCandid() {
		if len(ds) != 2 {
			t.Errorf("candid %d delivered %d times over two runs, want 2", c, len(ds))
		}
	}

	if _, err := connector.ReadTally(t.Context(), bucket, "ztf_20000101_programid1"); !errors.Is(err, storage.ErrObjectNotExist) {
		t.Errorf("ReadTally of an uncounted topic: %v, want storage.ErrObjectNotExist", err)
	}
}
