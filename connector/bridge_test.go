package connector_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"github.com/IBM/sarama"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ztfbridge/ztfbridge/connector"
	"github.com/ztfbridge/ztfbridge/internal/core/attr"
	"github.com/ztfbridge/ztfbridge/internal/core/deps"
	"github.com/ztfbridge/ztfbridge/internal/core/kafkaclient"
	"github.com/ztfbridge/ztfbridge/internal/core/night"
	"github.com/ztfbridge/ztfbridge/internal/dev/simulate"
	"github.com/ztfbridge/ztfbridge/internal/dev/stack"
	"github.com/ztfbridge/ztfbridge/internal/dev/stack/stacktest"
	"github.com/ztfbridge/ztfbridge/internal/dev/synth"
)

func TestMain(m *testing.M) { stacktest.Main(m) }

// bridge is one test's Kafka, Pub/Sub topics and subscriptions, and a
// connector configuration pointing at them.
type bridge struct {
	t      *testing.T
	kafka  *stack.Kafka
	pubsub *stack.PubSub
	cfg    connector.Config
	opts   []deps.Option // the test's logs and Pub/Sub
	alerts *received     // what the alert topic's subscription got
	dead   *received     // what the dead-letter topic's subscription got
	logs   *logBuffer
}

func newBridge(t *testing.T) *bridge {
	t.Helper()
	ctx := t.Context()
	b := &bridge{t: t, kafka: stacktest.Kafka(t), pubsub: stacktest.PubSub(t), logs: &logBuffer{}}
	cfg := connector.DefaultConfig()
	cfg.Brokers = b.kafka.Addrs()
	cfg.Group = stacktest.Name(t, "group")
	cfg.PubSubProject = b.pubsub.Project
	cfg.PubSubTopic = stacktest.Name(t, "alerts")
	cfg.DeadLetterTopic = stacktest.Name(t, "dead")
	cfg.PollInterval = 200 * time.Millisecond
	cfg.CommitEvery = 100 * time.Millisecond
	cfg.DrainTimeout = 20 * time.Second
	cfg.BatchSize = 16
	b.cfg = cfg
	b.opts = []deps.Option{
		deps.WithPubSubOptions(b.pubsub.ClientOptions()...),
		deps.WithLogger(slog.New(slog.NewJSONHandler(b.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
	}
	for _, topic := range []string{cfg.PubSubTopic, cfg.DeadLetterTopic} {
		if _, err := b.pubsub.ResetTopic(ctx, topic); err != nil {
			t.Fatal(err)
		}
	}
	b.alerts = b.subscribe(cfg.PubSubTopic)
	b.dead = b.subscribe(cfg.DeadLetterTopic)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("connector logs:\n%s", b.logs.String())
		}
	})
	return b
}

// run starts a connector with cfg, b.opts and then opts, and returns its
// registry and a function that stops it the way SIGTERM does (cancelling
// Run's context) and returns Run's error.
func (b *bridge) run(cfg connector.Config, opts ...deps.Option) (reg *prometheus.Registry, stop func() error) {
	b.t.Helper()
	reg = prometheus.NewRegistry()
	c, err := connector.New(b.t.Context(), cfg, append(append(slices.Clone(b.opts), opts...), deps.WithRegistry(reg))...)
	if err != nil {
		b.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	var once sync.Once
	var runErr error
	stop = func() error {
		once.Do(func() {
			cancel()
			runErr = <-done
			if err := c.Close(); runErr == nil {
				runErr = err
			}
		})
		return runErr
	}
	b.t.Cleanup(func() { _ = stop() })
	return reg, stop
}

// produce writes packets, in order, to topic (created with partitions
// partitions when missing), spread round-robin over the partitions.
func (b *bridge) produce(topic string, partitions int32, packets [][]byte) {
	b.t.Helper()
	_, err := simulate.Run(b.t.Context(), simulate.Config{Brokers: b.kafka.Addrs(), Topic: topic, Partitions: partitions}, simulate.Packets(packets))
	if err != nil {
		b.t.Fatal(err)
	}
}

// produceNight produces n synthetic alerts (seed seed) of the night of
// date into the night's topic, created with partitions partitions, and
// returns the topic and the alerts.
func (b *bridge) produceNight(date time.Time, n int, seed uint64, partitions int32) (string, []synth.Packet) {
	b.t.Helper()
	d := night.Of(date)
	packets := nightPackets(b.t, d, n, seed)
	b.produce(d.Topic(), partitions, synth.Data(packets))
	return d.Topic(), packets
}

// nightPackets returns n synthetic alerts of night d.
func nightPackets(t *testing.T, d night.Night, n int, seed uint64) []synth.Packet {
	t.Helper()
	out, err := synth.Generate(synth.Config{Night: d, Seed: seed}, n)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// delivery is one message received from Pub/Sub, without its data.
type delivery struct {
	attrs map[string]string
	sum   [sha256.Size]byte
	size  int
}

// received collects every message of one subscription.
type received struct {
	mu   sync.Mutex
	msgs []delivery
}

func (b *bridge) subscribe(topic string) *received {
	b.t.Helper()
	ctx := b.t.Context()
	sub := stacktest.Name(b.t, "sub")
	if _, err := b.pubsub.ResetPullSubscription(ctx, sub, topic); err != nil {
		b.t.Fatal(err)
	}
	client, err := b.pubsub.Client(ctx)
	if err != nil {
		b.t.Fatal(err)
	}
	r := &received{}
	rctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		err := client.Subscriber(sub).Receive(rctx, func(_ context.Context, m *pubsub.Message) {
			r.mu.Lock()
			r.msgs = append(r.msgs, delivery{attrs: m.Attributes, sum: sha256.Sum256(m.Data), size: len(m.Data)})
			r.mu.Unlock()
			m.Ack()
		})
		if err != nil && rctx.Err() == nil {
			b.t.Errorf("receive %s: %v", sub, err)
		}
	}()
	b.t.Cleanup(func() {
		cancel()
		<-done
		client.Close()
	})
	return r
}

func (r *received) snapshot() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.msgs...)
}

// byCandid returns the deliveries per candid attribute.
func (r *received) byCandid() map[int64][]delivery {
	out := map[int64][]delivery{}
	for _, d := range r.snapshot() {
		c, _ := strconv.ParseInt(d.attrs[attr.Candid], 10, 64)
		out[c] = append(out[c], d)
	}
	return out
}

// waitCandids waits until every candid of ps was received at least once.
func (r *received) waitCandids(t *testing.T, ps []synth.Packet, timeout time.Duration) map[int64][]delivery {
	t.Helper()
	var got map[int64][]delivery
	missing := 0
	arrived := stacktest.Poll(timeout, func() bool {
		got = r.byCandid()
		missing = 0
		for _, p := range ps {
			if len(got[p.Candid]) == 0 {
				missing++
			}
		}
		return missing == 0
	})
	if !arrived {
		t.Fatalf("after %v: %d of %d candids never arrived", timeout, missing, len(ps))
	}
	return got
}

// kafkaCoord is a message's place in Kafka.
type kafkaCoord struct {
	partition int32
	offset    int64
}

// offsets returns the group's committed offset and the end offset of
// every partition of topic.
func offsets(t *testing.T, brokers []string, group, topic string) (committed, end map[int32]int64) {
	t.Helper()
	client := stacktest.KafkaClient(t, brokers)
	admin, err := sarama.NewClusterAdminFromClient(client)
	if err != nil {
		t.Fatal(err)
	}
	ranges, err := kafkaclient.Offsets(client, topic)
	if err != nil {
		t.Fatal(err)
	}
	parts := slices.Collect(maps.Keys(ranges))
	resp, err := admin.ListConsumerGroupOffsets(group, map[string][]int32{topic: parts})
	if err != nil {
		t.Fatal(err)
	}
	committed, end = map[int32]int64{}, map[int32]int64{}
	for _, p := range parts {
		if b := resp.GetBlock(topic, p); b != nil {
			committed[p] = b.Offset
		}
		end[p] = ranges[p].Newest
	}
	return committed, end
}

// assertCommittedToEnd checks that group committed every message of topic.
func assertCommittedToEnd(t *testing.T, brokers []string, group, topic string) {
	t.Helper()
	committed, end := offsets(t, brokers, group, topic)
	for p, e := range end {
		if committed[p] != e {
			t.Errorf("%s/%d: committed %d, end %d", topic, p, committed[p], e)
		}
	}
}

// kafkaSums reads topic back and returns the SHA-256 of every message by
// its coordinates.
func kafkaSums(t *testing.T, brokers []string, topic string) map[kafkaCoord][sha256.Size]byte {
	t.Helper()
	consumer, err := sarama.NewConsumerFromClient(stacktest.KafkaClient(t, brokers))
	if err != nil {
		t.Fatal(err)
	}
	defer consumer.Close()
	parts, err := consumer.Partitions(topic)
	if err != nil {
		t.Fatal(err)
	}
	out := map[kafkaCoord][sha256.Size]byte{}
	for _, p := range parts {
		pc, err := consumer.ConsumePartition(topic, p, sarama.OffsetOldest)
		if err != nil {
			t.Fatal(err)
		}
		for end := pc.HighWaterMarkOffset(); end > 0; {
			m := <-pc.Messages()
			out[kafkaCoord{p, m.Offset}] = sha256.Sum256(m.Value)
			if m.Offset+1 >= end {
				break
			}
		}
		pc.Close()
	}
	return out
}

// metric returns the value of a counter or gauge in reg, summed over its
// label sets matching labels.
func metric(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	v, _ := series(t, reg, name, labels)
	return v
}

// series is metric, also telling whether any label set matched.
func series(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) (float64, bool) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var v float64
	found := false
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	series:
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if want, ok := labels[lp.GetName()]; ok && want != lp.GetValue() {
					continue series
				}
			}
			v += m.GetCounter().GetValue() + m.GetGauge().GetValue()
			found = true
		}
	}
	return v, found
}

// logBuffer is an io.Writer safe for the connector's goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// count returns how many log lines carry message msg.
func (l *logBuffer) count(msg string) int {
	return bytes.Count([]byte(l.String()), []byte(`"msg":"`+msg+`"`))
}

// clock is a settable clock for WithClock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

// TestDeliversEveryAlertUnchanged starts a connector late, once a night's
// alerts are all in Kafka, and checks that each arrives on the alert topic
// with its bytes unchanged and its attributes right; then stops it the
// SIGTERM way and checks that every offset was committed.
func TestDeliversEveryAlertUnchanged(t *testing.T) {
	tests := []struct {
		name       string
		consumers  int
		batchSize  int
		partitions int32
	}{
		{"one member, one message at a time", 1, 1, 3},
		{"two members sharing the partitions", 2, 16, 8},
		{"more members than partitions", 3, 64, 2},
	}
	d := night.Of(time.Date(2024, 3, 15, 0, 0, 0, 0, time.UTC))
	packets := nightPackets(t, d, 240, 1)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBridge(t)
			topic := d.Topic()
			b.produce(topic, tt.partitions, synth.Data(packets))

			cfg := b.cfg
			cfg.Consumers, cfg.BatchSize = tt.consumers, tt.batchSize
			reg, stop := b.run(cfg, deps.WithClock(func() time.Time { return d.Time().Add(20 * time.Hour) })) // tonight's topic, by default
			got := b.alerts.waitCandids(t, packets, 2*time.Minute)

			sums := kafkaSums(t, b.kafka.Addrs(), topic)
			for _, p := range packets {
				for _, m := range got[p.Candid] {
					k, err := attr.ParseKafka(m.attrs)
					if err != nil || k.Topic != topic || k.Timestamp.IsZero() {
						t.Fatalf("candid %d: kafka attributes %v: %v", p.Candid, m.attrs, err)
					}
					if m.sum != sha256.Sum256(p.Data) || m.sum != sums[kafkaCoord{k.Partition, k.Offset}] {
						t.Fatalf("candid %d: data differs from the packet or from Kafka at %d/%d", p.Candid, k.Partition, k.Offset)
					}
					want := map[string]string{
						attr.Candid: strconv.FormatInt(p.Candid, 10), attr.ObjectID: p.Alert.ObjectID,
						attr.SchemaVsn: p.Alert.SchemaVsn, attr.Night: "20240315",
					}
					for key, v := range want {
						if m.attrs[key] != v {
							t.Fatalf("candid %d: attribute %s = %q, want %q", p.Candid, key, m.attrs[key], v)
						}
					}
				}
			}
			if err := stop(); err != nil {
				t.Fatalf("Run: %v", err)
			}
			assertCommittedToEnd(t, b.kafka.Addrs(), cfg.Group, topic)
			if n := metric(t, reg, "ztfbridge_connector_published_total", nil); n < float64(len(packets)) {
				t.Errorf("published_total %v, want at least %d", n, len(packets))
			}
			if n := len(b.dead.snapshot()); n != 0 {
				t.Errorf("%d dead letters, want none", n)
			}
		})
	}
}
