package connector_test

import (
	"runtime"
	"testing"
	"time"

	"google.golang.org/api/option"

	"github.com/ztfbridge/ztfbridge/internal/core/deps"
	"github.com/ztfbridge/ztfbridge/internal/dev/stack/stacktest"
)

// TestHeldBytesBounded cuts Pub/Sub off under a connector reading 16
// partitions: nothing is ever acknowledged, so every message read is
// held. Reading stops once the process-wide budget is spent, whatever the
// partition count, and nothing is committed.
func TestHeldBytesBounded(t *testing.T) {
	b := newBridge(t)
	topic, packets := b.produceNight(time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC), 480, 16, 16) // 30 per partition, ~36 MB

	proxy := stacktest.NewProxy(t, b.pubsub.Addr)
	cfg := b.cfg
	cfg.KafkaTopic = topic
	cfg.MaxHeldBytes = 4 << 20
	cfg.MaxMessageBytes = 1 << 20
	cfg.PublishTimeout = 2 * time.Second
	cfg.DrainTimeout = time.Second
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	reg, stop := b.run(cfg, deps.WithPubSubOptions(option.WithEndpoint(proxy.Addr))) // New reaches Pub/Sub through the proxy
	proxy.Cut()

	full := float64(cfg.MaxHeldBytes - 100_000) // no room for one more alert
	var peak float64
	stacktest.WaitFor(t, 2*time.Minute, "the budget never filled", func() bool {
		held := metric(t, reg, "ztfbridge_connector_held_bytes", nil)
		peak = max(peak, held)
		return held >= full
	})
	consumed := metric(t, reg, "ztfbridge_connector_consumed_total", nil)
	held := metric(t, reg, "ztfbridge_connector_held_bytes", nil)
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	t.Logf("16 partitions, Pub/Sub cut: held %.1f MB of a %.1f MB budget after reading %v of %d messages; heap in use grew %.1f MB",
		held/1e6, float64(cfg.MaxHeldBytes)/1e6, consumed, len(packets), float64(int64(after.HeapInuse)-int64(before.HeapInuse))/1e6)
	if peak > float64(cfg.MaxHeldBytes) || held > float64(cfg.MaxHeldBytes) {
		t.Errorf("held %v bytes (peak seen %v), above the budget of %d", held, peak, cfg.MaxHeldBytes)
	}
	if consumed >= float64(len(packets)) {
		t.Errorf("read all %v messages while none was acknowledged", consumed)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	committed, _ := offsets(t, b.kafka.Addrs(), cfg.Group, topic)
	for p, o := range committed {
		if o > 0 {
			t.Errorf("partition %d committed to %d while Pub/Sub acknowledged nothing", p, o)
		}
	}
}
