package connector_test

import (
	"bytes"
	"crypto/sha256"
	"strings"
	"testing"
	"time"

	"github.com/ztfbridge/ztfbridge/internal/core/alert/alerttest"
	"github.com/ztfbridge/ztfbridge/internal/core/attr"
	"github.com/ztfbridge/ztfbridge/internal/core/message"
	"github.com/ztfbridge/ztfbridge/internal/core/night"
	"github.com/ztfbridge/ztfbridge/internal/dev/stack/stacktest"
	"github.com/ztfbridge/ztfbridge/internal/dev/synth"
)

// TestDeadLetters puts bad messages between good alerts of one partition:
// each bad one lands on the dead-letter topic with its reason and Kafka
// coordinates, every alert still arrives, and the partition is committed
// to its end.
func TestDeadLetters(t *testing.T) {
	b := newBridge(t)
	d := night.Of(time.Date(2024, 5, 2, 0, 0, 0, 0, time.UTC))
	topic := d.Topic()
	good := nightPackets(t, d, 60, 2)

	var multi, corrupt []byte
	for _, e := range alerttest.Manifest(t) {
		switch {
		case e.Broken() && corrupt == nil:
			corrupt = e.Read(t)
		case !e.Broken() && e.Records > 1 && (multi == nil || e.Records < 5):
			multi = e.Read(t)
		}
	}
	limit := 100_000
	for _, m := range append(synth.Data(good), multi) {
		limit = max(limit, len(m))
	}
	huge := append(bytes.Clone(good[0].Data), make([]byte, limit+1-len(good[0].Data))...)
	bad := []synth.Poison{
		{Data: corrupt, Reason: string(message.Undecodable)},
		{Data: []byte("not an alert at all"), Reason: string(message.Undecodable)},
		{Data: good[1].Data[:len(good[1].Data)/2], Reason: string(message.Undecodable)}, // truncated
		{Data: multi, Reason: string(message.NotOneAlert)},
		{Data: huge, Reason: string(message.TooLarge)},
	}
	_, poison, err := synth.GeneratePoisoned(synth.Config{Night: d, Seed: 99}, 0)
	if err != nil {
		t.Fatal(err)
	}
	bad = append(bad, poison...)
	var msgs [][]byte
	for i, p := range good {
		msgs = append(msgs, p.Data)
		if i%3 == 1 && len(bad) > (i/3) {
			msgs = append(msgs, bad[i/3].Data)
		}
	}
	b.produce(topic, 1, msgs)

	cfg := b.cfg
	cfg.KafkaTopic = topic
	cfg.MaxMessageBytes = limit
	reg, stop := b.run(cfg)
	b.alerts.waitCandids(t, good, 2*time.Minute)
	stacktest.WaitFor(t, time.Minute, "dead letters missing", func() bool { return len(b.dead.snapshot()) >= len(bad) })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	assertCommittedToEnd(t, b.kafka.Addrs(), cfg.Group, topic)

	sums := kafkaSums(t, b.kafka.Addrs(), topic)
	dead := b.dead.snapshot()
	if len(dead) != len(bad) {
		t.Fatalf("%d dead letters, want %d", len(dead), len(bad))
	}
	for _, m := range dead {
		k, err := attr.ParseKafka(m.attrs)
		if err != nil || k.Topic != topic {
			t.Fatalf("dead letter attributes %v: %v", m.attrs, err)
		}
		var want *synth.Poison
		for i := range bad {
			if sha256.Sum256(bad[i].Data) == sums[kafkaCoord{k.Partition, k.Offset}] {
				want = &bad[i]
			}
		}
		if want == nil {
			t.Fatalf("dead letter for offset %d, which holds no bad message", k.Offset)
		}
		if !strings.HasPrefix(m.attrs[attr.Error], want.Reason+": ") || m.attrs[attr.Reason] != want.Reason {
			t.Errorf("offset %d: error %q, want reason %s", k.Offset, m.attrs[attr.Error], want.Reason)
		}
		wantSize := len(want.Data)
		if want.Reason == string(message.TooLarge) {
			wantSize = 0
		} else if m.sum != sha256.Sum256(want.Data) {
			t.Errorf("offset %d: dead letter data differs from the Kafka message", k.Offset)
		}
		if m.size != wantSize {
			t.Errorf("offset %d: dead letter of %d bytes, want %d", k.Offset, m.size, wantSize)
		}
	}
	wantCounts := map[string]float64{}
	for _, b := range bad {
		wantCounts[b.Reason]++
	}
	for reason, n := range wantCounts {
		if got := metric(t, reg, "ztfbridge_connector_dead_lettered_total", map[string]string{"reason": reason}); got != n {
			t.Errorf("dead_lettered_total{reason=%q} = %v, want %v", reason, got, n)
		}
	}
	if n := b.logs.count("message sent to the dead-letter topic"); n != len(wantCounts) {
		t.Errorf("%d dead-letter log lines, want %d (once per reason within a minute)", n, len(wantCounts))
	}
}
