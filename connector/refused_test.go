package connector

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"github.com/IBM/sarama"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ztfbridge/ztfbridge/internal/core/alert"
	"github.com/ztfbridge/ztfbridge/internal/core/attr"
	"github.com/ztfbridge/ztfbridge/internal/core/deps"
	"github.com/ztfbridge/ztfbridge/internal/core/message"
	"github.com/ztfbridge/ztfbridge/internal/core/night"
	"github.com/ztfbridge/ztfbridge/internal/dev/stack"
	"github.com/ztfbridge/ztfbridge/internal/dev/stack/stacktest"
	"github.com/ztfbridge/ztfbridge/internal/dev/synth"
)

// TestRefusedMessageAlone publishes one batch in which one message has an
// attribute Pub/Sub cannot take (as if a packet had slipped an invalid
// UTF-8 id past the contract): the whole request fails, every other
// message of it is sent again on its own and acknowledged, and the bad one
// lands on the dead-letter topic as publish_refused, in the order the
// acknowledger waits for them.
func TestRefusedMessageAlone(t *testing.T) {
	ps := stacktest.PubSub(t)
	cfg := DefaultConfig()
	cfg.Brokers = stacktest.Kafka(t).Addrs()
	cfg.PubSubProject = ps.Project
	cfg.PubSubTopic = stacktest.Name(t, "alerts")
	cfg.DeadLetterTopic = stacktest.Name(t, "dead")
	cfg.PublishDelay = time.Hour // the batch goes as one request when it is full
	for _, topic := range []string{cfg.PubSubTopic, cfg.DeadLetterTopic} {
		if _, err := ps.ResetTopic(t.Context(), topic); err != nil {
			t.Fatal(err)
		}
	}
	alerts, dead := pull(t, ps, cfg.PubSubTopic), pull(t, ps, cfg.DeadLetterTopic)

	const n, bad = 20, 7
	cfg.PublishBatchCount = n
	c, err := New(t.Context(), cfg, deps.WithPubSubOptions(ps.ClientOptions()...), deps.WithRegistry(prometheus.NewRegistry()),
		deps.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	g, err := synth.New(synth.Config{Night: night.Of(time.Date(2024, 7, 15, 0, 0, 0, 0, time.UTC)), Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	dec := alert.NewDecoder()
	batch := make([]*outgoing, n)
	for i := range batch {
		p, err := g.Next()
		if err != nil {
			t.Fatal(err)
		}
		batch[i] = classify(&sarama.ConsumerMessage{Topic: "ztf_20240715_programid1", Offset: int64(i), Value: p.Data}, dec, cfg.MaxMessageBytes, nil)
		if batch[i].fate != toAlerts {
			t.Fatalf("message %d: fate %d", i, batch[i].fate)
		}
		if i == bad {
			batch[i].msg.Attributes[attr.ObjectID] = "ZTF24\xffbad"
		}
		c.publish(t.Context(), batch[i])
	}
	for i, o := range batch {
		if !c.await(t.Context(), t.Context(), o) {
			t.Fatalf("message %d was given up", i)
		}
	}
	if batch[bad].fate != toDeadLetter || batch[bad].reason != message.PublishRefused {
		t.Errorf("bad message: fate %d reason %q, want a %s dead letter", batch[bad].fate, batch[bad].reason, message.PublishRefused)
	}
	got := alerts.wait(t, n-1)
	if _, ok := got[int64(bad)]; ok {
		t.Errorf("the bad message reached the alert topic")
	}
	deadLetters := dead.wait(t, 1)
	if m, ok := deadLetters[int64(bad)]; !ok || message.ReasonOf(m) != message.PublishRefused {
		t.Errorf("dead letters %v, want offset %d as %s", deadLetters, bad, message.PublishRefused)
	}
}

// pulled collects the attributes of the messages of one subscription, by
// Kafka offset.
type pulled struct {
	mu   sync.Mutex
	msgs map[int64]map[string]string
}

func pull(t *testing.T, ps *stack.PubSub, topic string) *pulled {
	t.Helper()
	sub := stacktest.Name(t, "sub")
	if _, err := ps.ResetPullSubscription(t.Context(), sub, topic); err != nil {
		t.Fatal(err)
	}
	client, err := ps.Client(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	p := &pulled{msgs: map[int64]map[string]string{}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = client.Subscriber(sub).Receive(ctx, func(_ context.Context, m *pubsub.Message) {
			k, _ := attr.ParseKafka(m.Attributes)
			p.mu.Lock()
			p.msgs[k.Offset] = m.Attributes
			p.mu.Unlock()
			m.Ack()
		})
	}()
	t.Cleanup(func() { cancel(); <-done; client.Close() })
	return p
}

// wait returns the messages once n have arrived.
func (p *pulled) wait(t *testing.T, n int) map[int64]map[string]string {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		p.mu.Lock()
		got := len(p.msgs)
		p.mu.Unlock()
		if got >= n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d messages arrived", got, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.msgs
}
