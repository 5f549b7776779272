package backfill_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2"

	"github.com/ztfbridge/ztfbridge/functions"
	"github.com/ztfbridge/ztfbridge/internal/core/deps"
	"github.com/ztfbridge/ztfbridge/internal/core/night"
	"github.com/ztfbridge/ztfbridge/internal/dev/simulate"
	"github.com/ztfbridge/ztfbridge/internal/dev/stack"
	"github.com/ztfbridge/ztfbridge/internal/dev/stack/stacktest"
	"github.com/ztfbridge/ztfbridge/internal/dev/synth"
	"github.com/ztfbridge/ztfbridge/internal/ops/backfill"
	"github.com/ztfbridge/ztfbridge/internal/ops/nightcount"
)

func TestMain(m *testing.M) { stacktest.Main(m) }

const bucket = "alerts"

var testNight = night.Of(time.Date(2020, 12, 27, 0, 0, 0, 0, time.UTC))

// TestBackfillDuplicatesNothing stores part or all of a night, backfills
// it from Kafka, and stores what the backfill published the way the
// function does: the bucket then holds each alert of the night exactly once.
func TestBackfillDuplicatesNothing(t *testing.T) {
	const n = 20
	tests := []struct {
		name        string
		storedFirst int // alerts of the night already in the bucket
		replay      bool
	}{
		{"night already stored", n, false},
		{"night half stored", n / 2, false},
		{"nothing stored, topic holds the 10am replay", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
			defer cancel()
			k, g, p := stacktest.Kafka(t), stacktest.GCS(t, bucket), stacktest.PubSub(t)
			gen := synth.Config{Night: testNight, Seed: 3}
			packets, err := synth.Generate(gen, n)
			if err != nil {
				t.Fatal(err)
			}
			topic := testNight.Topic()
			if _, err := simulate.Run(ctx, simulate.Config{Brokers: k.Addrs(), Topic: topic, Partitions: 4, Replay: tt.replay}, simulate.Generated(gen, n)); err != nil {
				t.Fatal(err)
			}
			a, err := functions.New(ctx, functions.Config{Bucket: bucket, QuarantinePrefix: "quarantine/"}, deps.WithLogger(slog.New(slog.DiscardHandler)), deps.WithStorageOptions(g.ClientOptions()...))
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			for _, pk := range packets[:tt.storedFirst] {
				if _, err := a.Store(ctx, functions.Message{ID: "before", Data: pk.Data}); err != nil {
					t.Fatal(err)
				}
			}

			cfg, opts := backfillConfig(t, k, g, p)
			sub := stacktest.Name(t, "sub")
			if _, err := p.ResetPullSubscription(ctx, sub, cfg.Connector.PubSubTopic); err != nil {
				t.Fatal(err)
			}
			messages := int64(n)
			if tt.replay {
				messages *= 2
			}
			res, err := backfill.Run(ctx, cfg, testNight, opts...)
			if err != nil {
				t.Fatal(err)
			}
			if res.Messages != messages || res.Topic != topic || !strings.HasPrefix(res.Group, "ztfbridge-backfill-20201227-") {
				t.Errorf("Run = %+v, want %d messages of %s in a fresh group", res, messages, topic)
			}

			outcomes := storeDeliveries(t, ctx, p, sub, a, int(messages))
			if outcomes[functions.Stored] != n-tt.storedFirst || outcomes[functions.Duplicate] != int(messages)-(n-tt.storedFirst) {
				t.Errorf("outcomes of the backfill's deliveries = %v, want %d stored and the rest duplicates", outcomes, n-tt.storedFirst)
			}
			ncfg := nightcount.DefaultConfig()
			ncfg.Bucket = bucket
			c, err := nightcount.Count(ctx, ncfg, testNight, deps.WithStorageOptions(g.ClientOptions()...))
			if err != nil {
				t.Fatal(err)
			}
			if c.GCSObjects == nil || *c.GCSObjects != n || c.PubSubPublished == nil || *c.PubSubPublished != messages {
				t.Errorf("after the backfill: %d objects, %d published (%+v), want %d and %d", deref(c.GCSObjects), deref(c.PubSubPublished), c, n, messages)
			}
		})
	}
}

func TestBackfillOfATopicNoLongerRetained(t *testing.T) {
	k, g, p := stacktest.Kafka(t), stacktest.GCS(t, bucket), stacktest.PubSub(t)
	cfg, opts := backfillConfig(t, k, g, p)
	_, err := backfill.Run(t.Context(), cfg, testNight, opts...)
	if err == nil || !strings.Contains(err.Error(), "no longer retain ztf_20201227_programid1") {
		t.Fatalf("Run of a missing topic: %v, want an error saying it is not retained", err)
	}
}

// backfillConfig is a connector on the local stack with short intervals,
// publishing to fresh topics and counting in bucket, and the options that
// reach the stack.
func backfillConfig(t *testing.T, k *stack.Kafka, g *stack.GCS, p *stack.PubSub) (backfill.Config, []deps.Option) {
	t.Helper()
	cfg := backfill.DefaultConfig()
	cfg.Poll = 100 * time.Millisecond
	cc := &cfg.Connector
	cc.Brokers = k.Addrs()
	cc.PubSubProject = p.Project
	cc.PubSubTopic = stacktest.Name(t, "alerts")
	cc.DeadLetterTopic = stacktest.Name(t, "dead")
	cc.CountsBucket = bucket
	cc.PollInterval, cc.CommitEvery = 200*time.Millisecond, 100*time.Millisecond
	for _, topic := range []string{cc.PubSubTopic, cc.DeadLetterTopic} {
		if _, err := p.ResetTopic(t.Context(), topic); err != nil {
			t.Fatal(err)
		}
	}
	return cfg, []deps.Option{
		deps.WithLogger(slog.New(slog.DiscardHandler)),
		deps.WithPubSubOptions(p.ClientOptions()...), deps.WithStorageOptions(g.ClientOptions()...),
	}
}

// storeDeliveries receives want messages from sub, stores each as the
// function does, and returns how many had each outcome.
func storeDeliveries(t *testing.T, ctx context.Context, p *stack.PubSub, sub string, a *functions.Archiver, want int) map[functions.Outcome]int {
	t.Helper()
	client, err := p.Client(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	rctx, stop := context.WithTimeout(ctx, time.Minute)
	defer stop()
	var (
		mu       sync.Mutex
		outcomes = map[functions.Outcome]int{}
		got      int
	)
	err = client.Subscriber(sub).Receive(rctx, func(ctx context.Context, m *pubsub.Message) {
		r, err := a.Store(ctx, functions.Message{ID: m.ID, Data: m.Data, Attributes: m.Attributes})
		if err != nil {
			m.Nack()
			return
		}
		m.Ack()
		mu.Lock()
		defer mu.Unlock()
		outcomes[r.Outcome]++
		if got++; got == want {
			stop()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("received %d messages, want %d", got, want)
	}
	return outcomes
}

func deref(n *int64) int64 {
	if n == nil {
		return -1
	}
	return *n
}
