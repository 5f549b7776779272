package redrive_test

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"

	"github.com/ztfbridge/ztfbridge/internal/core/attr"
	"github.com/ztfbridge/ztfbridge/internal/core/deps"
	"github.com/ztfbridge/ztfbridge/internal/dev/stack"
	"github.com/ztfbridge/ztfbridge/internal/dev/stack/stacktest"
	"github.com/ztfbridge/ztfbridge/internal/ops/redrive"
)

func TestMain(m *testing.M) { stacktest.Main(m) }

func TestReason(t *testing.T) {
	tests := []struct {
		attrs map[string]string
		want  string
	}{
		{map[string]string{attr.Error: "undecodable: avro: bad magic"}, "undecodable"},
		{map[string]string{attr.Reason: "too_large", attr.Error: "too_large: 12 MB"}, "too_large"},
		{map[string]string{attr.Reason: "rejected", attr.Error: "something else: x"}, "rejected"},
		{map[string]string{"CloudPubSubDeadLetterSourceSubscription": "ztf-alerts-function"}, redrive.Undelivered},
		{map[string]string{attr.Error: "no colon"}, "no colon"},
		{map[string]string{}, ""},
	}
	for _, tt := range tests {
		if got := redrive.Reason(tt.attrs); got != tt.want {
			t.Errorf("Reason(%v) = %q, want %q", tt.attrs, got, tt.want)
		}
	}
}

func TestNight(t *testing.T) {
	tests := []struct {
		attrs map[string]string
		want  string
	}{
		{map[string]string{attr.Night: "20240716", attr.KafkaTopic: "ztf_20240715_programid1"}, "20240716"},
		{map[string]string{attr.KafkaTopic: "ztf_20240715_programid1"}, "20240715"},
		{map[string]string{attr.KafkaTopic: "not-ztf"}, ""},
		{map[string]string{}, ""},
	}
	for _, tt := range tests {
		got, _ := redrive.Night(tt.attrs).MarshalText()
		if got := string(got); got != tt.want {
			t.Errorf("Night(%v) = %q, want %q", tt.attrs, got, tt.want)
		}
	}
}

func TestRepublished(t *testing.T) {
	in := map[string]string{
		attr.KafkaTopic: "ztf_20240715_programid1", attr.KafkaPartition: "3", attr.KafkaOffset: "42", attr.Candid: "7",
		attr.Error: "undecodable: x", attr.Reason: "undecodable",
		"CloudPubSubDeadLetterSourceSubscription": "ztf-alerts-function", "CloudPubSubDeadLetterSourceDeliveryCount": "10",
	}
	want := map[string]string{
		attr.KafkaTopic: "ztf_20240715_programid1", attr.KafkaPartition: "3", attr.KafkaOffset: "42", attr.Candid: "7",
		redrive.RedrivenAttr: "run",
	}
	if got := redrive.Republished(in, "run"); !maps.Equal(got, want) {
		t.Errorf("Republished = %v, want %v", got, want)
	}
}

// deadLetter is one message published to the dead-letter topic.
type deadLetter struct {
	kind  string // undecodable, rejected, undelivered
	night string
	i     int
}

func (d deadLetter) data() string { return fmt.Sprintf("%s-%s-%d", d.kind, d.night, d.i) }

func (d deadLetter) attrs() map[string]string {
	a := map[string]string{
		attr.KafkaTopic:     "ztf_" + d.night + "_programid1",
		attr.KafkaPartition: "1",
		attr.KafkaOffset:    fmt.Sprint(d.i),
	}
	switch d.kind {
	case "undecodable": // today's connector: error only
		a[attr.Error] = "undecodable: avro: bad magic"
	case "rejected": // the new contract: reason and error
		a[attr.Reason] = "rejected"
		a[attr.Error] = "rejected: BigQuery refused the row"
	case "undelivered": // Pub/Sub gave up on a subscription
		a["CloudPubSubDeadLetterSourceSubscription"] = "ztf-alerts-function"
		a["CloudPubSubDeadLetterSourceDeliveryCount"] = "10"
	}
	return a
}

// The dead letters of every case: two reasons from the components and
// Pub/Sub's own, on two nights.
var deadLetters = func() []deadLetter {
	var ds []deadLetter
	for _, n := range []struct {
		kind  string
		night string
		count int
	}{
		{"undecodable", "20240715", 5},
		{"undecodable", "20240716", 2},
		{"rejected", "20240715", 4},
		{"undelivered", "20240716", 3},
	} {
		for i := range n.count {
			ds = append(ds, deadLetter{n.kind, n.night, i})
		}
	}
	return ds
}()

func TestRedriveOnEmulator(t *testing.T) {
	p := stacktest.PubSub(t)
	tests := []struct {
		name   string
		reason string
		night  string
		dryRun bool
		want   func(deadLetter) bool
	}{
		{name: "one reason", reason: "undecodable",
			want: func(d deadLetter) bool { return d.kind == "undecodable" }},
		{name: "one reason of the new contract", reason: "rejected",
			want: func(d deadLetter) bool { return d.kind == "rejected" }},
		{name: "one reason, one night", reason: "undecodable", night: "20240716",
			want: func(d deadLetter) bool { return d.kind == "undecodable" && d.night == "20240716" }},
		{name: "what Pub/Sub gave up on", reason: redrive.Undelivered,
			want: func(d deadLetter) bool { return d.kind == "undelivered" }},
		{name: "dry run", reason: "undecodable", dryRun: true,
			want: func(d deadLetter) bool { return false }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			f := newTopics(t, p)
			ids := publish(t, f.client, f.dead, deadLetters)
			cfg := f.config()
			cfg.Reason, cfg.DryRun = tt.reason, tt.dryRun
			if err := cfg.Night.UnmarshalText([]byte(tt.night)); err != nil {
				t.Fatal(err)
			}
			cfg.Idle = 3 * time.Second
			res, err := redrive.Run(ctx, cfg, deps.WithPubSubOptions(p.ClientOptions()...), deps.WithLogger(slog.New(slog.DiscardHandler)))
			if err != nil {
				t.Fatal(err)
			}

			var wantBack, wantLeft []string
			matched := 0
			for _, d := range deadLetters {
				match := tt.want(d) || tt.dryRun && d.kind == tt.reason
				if match {
					matched++
				}
				if tt.want(d) {
					wantBack = append(wantBack, d.data())
				} else {
					wantLeft = append(wantLeft, ids[d.data()])
				}
			}
			if res.Seen != len(deadLetters) || res.Matched != matched || res.Republished != len(wantBack) || res.Failed != 0 || res.Left != len(wantLeft) {
				t.Errorf("result %v, want seen %d, matched %d, republished %d, failed 0, left %d", res, len(deadLetters), matched, len(wantBack), len(wantLeft))
			}
			if res.ByReason["undecodable"] != 7 || res.ByReason["rejected"] != 4 || res.ByReason[redrive.Undelivered] != 3 {
				t.Errorf("by reason %v, want undecodable 7, rejected 4, %s 3", res.ByReason, redrive.Undelivered)
			}

			// Every message of the reason is back on the alert topic, once,
			// with its data and kafka coordinates and without its error.
			back := pullN(t, f.client, p, f.check, len(wantBack))
			var gotBack []string
			for _, m := range back {
				gotBack = append(gotBack, string(m.Data))
				d := findDeadLetter(t, string(m.Data))
				want := redrive.Republished(d.attrs(), m.Attributes[redrive.RedrivenAttr])
				if !maps.Equal(m.Attributes, want) || m.Attributes[redrive.RedrivenAttr] == "" {
					t.Errorf("republished %s with attributes %v, want %v", m.Data, m.Attributes, want)
				}
			}
			slices.Sort(gotBack)
			slices.Sort(wantBack)
			if !slices.Equal(gotBack, wantBack) {
				t.Errorf("on the alert topic: %v, want %v", gotBack, wantBack)
			}

			// The others are untouched: still on the hold subscription, the
			// very messages published there, available at once.
			var gotLeft []string
			for _, m := range pullN(t, f.client, p, f.hold, len(wantLeft)) {
				gotLeft = append(gotLeft, m.MessageId)
			}
			slices.Sort(gotLeft)
			slices.Sort(wantLeft)
			if !slices.Equal(gotLeft, wantLeft) {
				t.Errorf("left on the hold subscription: %d messages %v, want %d %v", len(gotLeft), gotLeft, len(wantLeft), wantLeft)
			}
		})
	}
}

// A limit stops the run by itself once that many are republished.
func TestRedriveLimit(t *testing.T) {
	p := stacktest.PubSub(t)
	f := newTopics(t, p)
	publish(t, f.client, f.dead, deadLetters)

	cfg := f.config()
	cfg.Reason, cfg.Limit = "undecodable", 2
	// Only the limit can end this run: an idle timeout of an hour would
	// fail the test's deadline.
	cfg.Idle = time.Hour
	res, err := redrive.Run(t.Context(), cfg, deps.WithPubSubOptions(p.ClientOptions()...), deps.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	if res.Republished != 2 {
		t.Errorf("republished %d, want 2", res.Republished)
	}
	pullN(t, f.client, p, f.check, 2)
	pullN(t, f.client, p, f.hold, len(deadLetters)-2)
}

// topics is a test's own alert and dead-letter topics on the emulator, the
// hold subscription of the dead letters, a subscription of the alert topic
// that sees what reaches it as the function and the loader do, and a client.
type topics struct {
	p                         *stack.PubSub
	client                    *pubsub.Client
	alerts, dead, hold, check string
}

func newTopics(t *testing.T, p *stack.PubSub) topics {
	t.Helper()
	ctx := t.Context()
	f := topics{p: p, alerts: stacktest.Name(t, "alerts"), dead: stacktest.Name(t, "dead"), hold: stacktest.Name(t, "hold"), check: stacktest.Name(t, "check")}
	for _, topic := range []string{f.alerts, f.dead} {
		if _, err := p.ResetTopic(ctx, topic); err != nil {
			t.Fatal(err)
		}
	}
	for sub, topic := range map[string]string{f.hold: f.dead, f.check: f.alerts} {
		if _, err := p.ResetPullSubscription(ctx, sub, topic); err != nil {
			t.Fatal(err)
		}
	}
	client, err := p.Client(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	f.client = client
	return f
}

// config redrives from f's hold subscription to f's alert topic.
func (f topics) config() redrive.Config {
	cfg := redrive.DefaultConfig()
	cfg.Project, cfg.Subscription, cfg.PubSubTopic = f.p.Project, f.hold, f.alerts
	return cfg
}

// publish puts ds on topic and returns their message IDs by data.
func publish(t *testing.T, client *pubsub.Client, topic string, ds []deadLetter) map[string]string {
	t.Helper()
	pub := client.Publisher(topic)
	defer pub.Stop()
	results := make([]*pubsub.PublishResult, len(ds))
	for i, d := range ds {
		results[i] = pub.Publish(t.Context(), &pubsub.Message{Data: []byte(d.data()), Attributes: d.attrs()})
	}
	ids := map[string]string{}
	for i, r := range results {
		id, err := r.Get(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		ids[ds[i].data()] = id
	}
	return ids
}

// pullN pulls and acknowledges n messages from sub, then checks that sub
// holds no more. Pulls wait for messages: a missing one fails the test at
// its deadline, an extra one is found by the last pull.
func pullN(t *testing.T, client *pubsub.Client, p *stack.PubSub, sub string, n int) []*pubsubpb.PubsubMessage {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	var out []*pubsubpb.PubsubMessage
	for len(out) < n {
		got := pull(ctx, t, client, p, sub, false)
		out = append(out, got...)
	}
	if extra := pull(ctx, t, client, p, sub, true); len(extra) > 0 {
		t.Errorf("%s: %d messages more than the %d expected", sub, len(extra), n)
	}
	return out
}

// pull makes one Pull of sub and acknowledges what it got; immediate
// returns at once when sub has nothing.
func pull(ctx context.Context, t *testing.T, client *pubsub.Client, p *stack.PubSub, sub string, immediate bool) []*pubsubpb.PubsubMessage {
	t.Helper()
	resp, err := client.SubscriptionAdminClient.Pull(ctx, &pubsubpb.PullRequest{
		Subscription: p.SubscriptionName(sub), MaxMessages: 100,
		ReturnImmediately: immediate, //lint:ignore SA1019 the emulator's way to say "nothing there"
	})
	if err != nil {
		t.Fatalf("pull %s: %v", sub, err)
	}
	var out []*pubsubpb.PubsubMessage
	var ackIDs []string
	for _, m := range resp.ReceivedMessages {
		out = append(out, m.Message)
		ackIDs = append(ackIDs, m.AckId)
	}
	if len(ackIDs) > 0 {
		if err := client.SubscriptionAdminClient.Acknowledge(ctx, &pubsubpb.AcknowledgeRequest{Subscription: p.SubscriptionName(sub), AckIds: ackIDs}); err != nil {
			t.Fatalf("acknowledge on %s: %v", sub, err)
		}
	}
	return out
}

func findDeadLetter(t *testing.T, data string) deadLetter {
	t.Helper()
	for _, d := range deadLetters {
		if d.data() == data {
			return d
		}
	}
	t.Fatalf("%q is no dead letter of the test", data)
	return deadLetter{}
}
