package simulate

import (
	"context"
	"iter"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ztfbridge/ztfbridge/internal/core/kafkaclient"
	"github.com/ztfbridge/ztfbridge/internal/dev/stack/stacktest"
)

// packets is a Source of n small distinct messages.
func packets(n int) Source {
	return func() iter.Seq2[[]byte, error] {
		return func(yield func([]byte, error) bool) {
			for i := range n {
				if !yield([]byte{byte(i), byte(i >> 8)}, nil) {
					return
				}
			}
		}
	}
}

// topicSize sums newest-oldest offsets over the topic's partitions.
func topicSize(t *testing.T, brokers []string, topic string) int64 {
	t.Helper()
	ranges, err := kafkaclient.Offsets(stacktest.KafkaClient(t, brokers), topic)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, r := range ranges {
		n += r.Len()
	}
	return n
}

func TestRun(t *testing.T) {
	tests := []struct {
		name   string
		n      int
		replay bool
		rate   float64
		want   int64
	}{
		{"night", 200, false, 0, 200},
		{"night and replay", 150, true, 0, 300},
		{"rate limited", 20, false, 200, 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := stacktest.Kafka(t)
			var calls int
			cfg := Config{Brokers: k.Addrs(), Topic: "ztf_20240715_programid1", Partitions: 4, Rate: tt.rate, Replay: tt.replay,
				Progress: func(Progress) { calls++ }}
			start := time.Now()
			p, err := Run(context.Background(), cfg, packets(tt.n))
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if p.Produced != tt.want {
				t.Errorf("Produced = %d, want %d", p.Produced, tt.want)
			}
			if got := topicSize(t, k.Addrs(), cfg.Topic); got != tt.want {
				t.Errorf("topic holds %d messages, want %d", got, tt.want)
			}
			if calls == 0 {
				t.Error("Progress never called")
			}
			if tt.rate > 0 {
				// 20 alerts at 200/s with a burst of 20 cannot take less than 0 s;
				// what must hold is that rate limiting does not stall.
				if time.Since(start) > 10*time.Second {
					t.Errorf("rate-limited run took %v", time.Since(start))
				}
			}
		})
	}
}

func TestDir(t *testing.T) {
	dir := t.TempDir()
	for i, name := range []string{"b.avro", "a.avro", "skip.txt"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte{byte(i)}, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var got []byte
	for b, err := range Dir(dir)() {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, b...)
	}
	if string(got) != "\x01\x00" {
		t.Errorf("Dir yielded %v, want a.avro then b.avro", got)
	}
	for _, err := range Dir(t.TempDir())() {
		if err == nil {
			t.Error("empty dir: no error")
		}
	}
}

func TestRunErrors(t *testing.T) {
	if _, err := Run(context.Background(), Config{}, packets(1)); err == nil {
		t.Error("no brokers: no error")
	}
	k := stacktest.Kafka(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, Config{Brokers: k.Addrs(), Topic: "ztf_20240716_programid1", Rate: 1}, packets(5)); err == nil {
		t.Error("cancelled context: no error")
	}
}
