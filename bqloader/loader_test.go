package bqloader

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/bigquery"
	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"google.golang.org/api/iterator"

	"github.com/ztfbridge/ztfbridge/internal/core/alert/alerttest"
	"github.com/ztfbridge/ztfbridge/internal/core/attr"
	"github.com/ztfbridge/ztfbridge/internal/core/deps"
	"github.com/ztfbridge/ztfbridge/internal/core/message"
	"github.com/ztfbridge/ztfbridge/internal/core/night"
	"github.com/ztfbridge/ztfbridge/internal/dev/stack"
	"github.com/ztfbridge/ztfbridge/internal/dev/stack/stacktest"
	"github.com/ztfbridge/ztfbridge/internal/dev/synth"
)

func TestMain(m *testing.M) { stacktest.Main(m) }

// testNight is the night of the synthetic alerts; the loaders' clock is
// in it.
var testNight = night.Of(time.Date(2024, 7, 15, 0, 0, 0, 0, time.UTC))

// testStack is one test's Pub/Sub topics (on the shared emulator) and its
// own BigQuery emulator.
type testStack struct {
	t       *testing.T
	ps      *stack.PubSub
	bq      *stack.BigQuery
	psc     *pubsub.Client
	bqc     *bigquery.Client
	cfg     Config
	opts    []deps.Option // the test's Pub/Sub, logs and clock
	deadSub string        // subscription of the dead-letter topic
}

// newTestStack gives a test its topics, its subscription and a BigQuery
// emulator of its own, so that the counts a test reads are its own.
func newTestStack(t *testing.T) *testStack {
	t.Helper()
	ctx := context.Background()
	ps := stacktest.PubSub(t)
	s := &testStack{t: t, ps: ps}
	var err error
	if s.psc, err = ps.Client(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.psc.Close() })

	topic, dead := stacktest.Name(t, "alerts"), stacktest.Name(t, "dead")
	for _, tp := range []string{topic, dead} {
		if _, err := ps.ResetTopic(ctx, tp); err != nil {
			t.Fatal(err)
		}
	}
	s.deadSub = stacktest.Name(t, "deadsub")
	sub := stacktest.Name(t, "load")
	// A short ack deadline: a message nacked as the subscriber stops may
	// only come back when its deadline passes.
	for _, sb := range []*pubsubpb.Subscription{{Name: s.deadSub, Topic: dead}, {Name: sub, Topic: topic, AckDeadlineSeconds: 10}} {
		if _, err := ps.ResetSubscription(ctx, sb); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	cfg := DefaultConfig()
	cfg.CreateResources = true // the local stack has no Terraform
	cfg.PubSubProject = ps.Project
	cfg.PubSubTopic, cfg.DeadLetterTopic = topic, dead
	cfg.Subscription = sub
	cfg.BatchDelay = 50 * time.Millisecond
	cfg.BatchRows = 50
	cfg.DedupRefresh = time.Hour // a refresh is a query: see newTestStack
	s.cfg = cfg
	s.opts = []deps.Option{
		deps.WithPubSubOptions(ps.ClientOptions()...),
		deps.WithLogger(slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))),
		deps.WithClock(func() time.Time { return testNight.Time().Add(10 * time.Hour).Add(time.Since(start)) }),
	}
	s.startBigQuery()
	return s
}

// startBigQuery starts a BigQuery emulator for the test and points the
// test's client and loader configuration at it.
func (s *testStack) startBigQuery() {
	s.t.Helper()
	ctx := context.Background()
	bq, err := stack.StartBigQuery(ctx, slog.New(slog.NewTextHandler(io.Discard, nil)), stack.BigQueryOptions{})
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(bq.Close)
	c, err := bq.Client(ctx)
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { c.Close() })
	s.bq, s.bqc = bq, c
	s.cfg.Project = bq.Project
	s.cfg.BigQueryAPI, s.cfg.StorageWriteAPI = bq.Endpoint(), bq.GRPCAddr
}

// testWriter sends the loaders' warnings to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

// runningLoader is a loader running in the background.
type runningLoader struct {
	l    *Loader
	stop func() error
}

// start creates a loader with cfg and s.opts and runs it until stop. New runs in the test's
// goroutine: it creates the subscription, the tables and reads the
// candids before start returns.
func (s *testStack) start(cfg Config) *runningLoader {
	s.t.Helper()
	l, err := New(context.Background(), cfg, s.opts...)
	if err != nil {
		s.t.Fatal(err)
	}
	l.writer.pause = func(int) time.Duration { return 10 * time.Millisecond }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	var once sync.Once
	var runErr error
	r := &runningLoader{l: l, stop: func() error {
		once.Do(func() {
			cancel()
			runErr = errors.Join(<-done, l.Close())
		})
		return runErr
	}}
	s.t.Cleanup(func() { _ = r.stop() })
	return r
}

// settled is how many messages the loader has acked or dead-lettered.
func (r *runningLoader) settled() int {
	m := r.l.metrics
	n := testutil.ToFloat64(m.rowsWritten) + testutil.ToFloat64(m.duplicates)
	for _, r := range message.Reasons() {
		n += testutil.ToFloat64(m.deadLettered.WithLabelValues(string(r)))
	}
	return int(n)
}

// waitSettled waits until the loaders together have settled n messages.
func (s *testStack) waitSettled(n int, loaders ...*runningLoader) {
	s.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		got := 0
		for _, r := range loaders {
			got += r.settled()
		}
		if got >= n {
			if got > n {
				s.t.Logf("settled %d messages, published %d (Pub/Sub redelivered some)", got, n)
			}
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("loaders settled %d of %d messages in 90s", got, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// publish publishes the packets to the alert topic with the attributes
// the connector sets.
func (s *testStack) publish(packets []synth.Packet) {
	s.t.Helper()
	ctx := context.Background()
	pub := s.psc.Publisher(s.cfg.PubSubTopic)
	defer pub.Stop()
	results := make([]*pubsub.PublishResult, len(packets))
	for i, p := range packets {
		m := &pubsub.Message{Data: p.Data, Attributes: map[string]string{}}
		attr.Kafka{Topic: p.Alert.Topic(), Partition: int32(i % 4), Offset: int64(i), Timestamp: testNight.Time().Add(time.Duration(i) * time.Second)}.Set(m.Attributes)
		results[i] = pub.Publish(ctx, m)
	}
	for _, r := range results {
		if _, err := r.Get(ctx); err != nil {
			s.t.Fatal(err)
		}
	}
}

// publishRaw publishes one message as it is.
func (s *testStack) publishRaw(data []byte, attrs map[string]string) {
	s.t.Helper()
	pub := s.psc.Publisher(s.cfg.PubSubTopic)
	defer pub.Stop()
	if _, err := pub.Publish(context.Background(), &pubsub.Message{Data: data, Attributes: attrs}).Get(context.Background()); err != nil {
		s.t.Fatal(err)
	}
}

// queryInts runs a query of one row of integers. Call it once the loaders
// stopped, so that the counts are final.
func (s *testStack) queryInts(sql string) []int64 {
	s.t.Helper()
	it, err := s.bqc.Query(sql).Read(context.Background())
	if err != nil {
		s.t.Fatalf("%s: %v", sql, err)
	}
	var row []bigquery.Value
	if err := it.Next(&row); err != nil {
		s.t.Fatalf("%s: %v", sql, err)
	}
	out := make([]int64, len(row))
	for i, v := range row {
		out[i], _ = v.(int64)
	}
	return out
}

func (s *testStack) table(name string) string {
	return fmt.Sprintf("`%s.%s.%s`", s.cfg.Project, s.cfg.Dataset, name)
}

// deadLetters receives the dead letters published so far (waiting until
// want of them came).
func (s *testStack) deadLetters(want int) []*pubsub.Message {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var mu sync.Mutex
	var got []*pubsub.Message
	err := s.psc.Subscriber(s.deadSub).Receive(ctx, func(_ context.Context, m *pubsub.Message) {
		m.Ack()
		mu.Lock()
		defer mu.Unlock()
		got = append(got, m)
		if len(got) == want {
			cancel()
		}
	})
	if err != nil {
		s.t.Fatal(err)
	}
	return got
}

func packets(t *testing.T, day night.Night, seed uint64, n int) []synth.Packet {
	t.Helper()
	p, err := synth.Generate(synth.Config{Night: day, Seed: seed, Objects: n / 3}, n)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestReplayOneRowPerCandid loads a night and then its full replay, the
// way ZTF publishes it, and checks that the analysts' view holds exactly
// one row per candid: with one loader, with the loader restarted between
// the night and the replay, and with two loaders sharing the subscription
// through both.
func TestReplayOneRowPerCandid(t *testing.T) {
	const n = 120
	tests := []struct {
		name    string
		loaders int
		restart bool
		// wantRawMax bounds the rows of alerts_raw: duplicates the set
		// did not catch; the view hides them.
		wantRawMax int
	}{
		{name: "one loader", loaders: 1, wantRawMax: n},
		{name: "restart between night and replay", loaders: 1, restart: true, wantRawMax: n},
		{name: "two loaders on one subscription", loaders: 2, wantRawMax: 2 * n},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestStack(t)
			night := packets(t, testNight, 1, n)
			startAll := func() []*runningLoader {
				var rs []*runningLoader
				for range tt.loaders {
					rs = append(rs, s.start(s.cfg))
				}
				return rs
			}
			loaders := startAll()
			s.publish(night)
			s.waitSettled(n, loaders...)
			if tt.restart {
				for _, r := range loaders {
					if err := r.stop(); err != nil {
						t.Fatal(err)
					}
				}
				loaders = startAll()
				s.publish(night)
				s.waitSettled(n, loaders...)
			} else {
				s.publish(night)
				s.waitSettled(2*n, loaders...)
			}
			written, dropped, refused := 0.0, 0.0, 0.0
			for _, r := range loaders {
				if err := r.stop(); err != nil {
					t.Fatal(err)
				}
				written += testutil.ToFloat64(r.l.metrics.rowsWritten)
				dropped += testutil.ToFloat64(r.l.metrics.duplicates)
				refused += testutil.ToFloat64(r.l.metrics.deadLettered.WithLabelValues(string(message.Rejected)))
			}
			if refused != 0 {
				t.Errorf("%.0f good rows were dead-lettered as refused by BigQuery, want 0", refused)
			}

			got := s.queryInts("SELECT COUNT(*), COUNT(DISTINCT candid) FROM " + s.table(AlertsView))
			if got[0] != n || got[1] != n {
				t.Errorf("alerts view: %d rows, %d distinct candids; want %d and %d", got[0], got[1], n, n)
			}
			raw := s.queryInts("SELECT COUNT(*), COUNT(DISTINCT candid) FROM " + s.table(RawTable))
			if raw[1] != n || raw[0] < n || raw[0] > int64(tt.wantRawMax) {
				t.Errorf("alerts_raw: %d rows, %d candids; want %d candids and %d to %d rows", raw[0], raw[1], n, n, tt.wantRawMax)
			}
			t.Logf("alerts_raw holds %d rows for %d candids; the last loaders wrote %.0f and dropped %.0f duplicates", raw[0], raw[1], written, dropped)
			if tt.restart && dropped != n {
				t.Errorf("the restarted loader dropped %.0f duplicates, want %d: its candid set was not seeded from the table", dropped, n)
			}
			counts := s.queryInts(fmt.Sprintf("SELECT raw_rows, candids, duplicate_rows FROM %s WHERE night = '2024-07-15'", s.table(NightCountsView)))
			if counts[0] != raw[0] || counts[1] != n || counts[2] != raw[0]-n {
				t.Errorf("night_counts = %v, want [%d %d %d]", counts, raw[0], n, raw[0]-n)
			}
		})
	}
}

// TestDeadLetters checks that messages that cannot be loaded are set
// aside with the reason, unchanged, never dropped and never in the way of
// the alerts around them: bytes that are not an alert, and a real broker
// file holding three alerts in one message.
func TestDeadLetters(t *testing.T) {
	s := newTestStack(t)
	good := packets(t, testNight, 2, 20)
	var multi []byte
	for _, e := range alerttest.Manifest(t) {
		if e.Records == 3 && !e.Broken() {
			multi = e.Read(t)
		}
	}
	if multi == nil {
		t.Fatal("no 3-alert packet in the manifest")
	}
	_, poison, err := synth.GeneratePoisoned(synth.Config{Night: testNight, Seed: 77}, 0)
	if err != nil {
		t.Fatal(err)
	}
	type refused struct {
		reason, offset string
		data           []byte
	}
	tests := []refused{
		{string(message.Undecodable), "7", []byte("not an avro container")},
		{string(message.NotOneAlert), "8", multi},
	}
	for i, p := range poison {
		tests = append(tests, refused{p.Reason, strconv.Itoa(100 + i), p.Data})
	}
	wantDead := map[string]float64{string(message.Rejected): 0, string(message.Unencodable): 0}
	r := s.start(s.cfg)
	s.publish(good[:10])
	for _, tt := range tests {
		s.publishRaw(tt.data, map[string]string{attr.KafkaTopic: "ztf_20240715_programid1", attr.KafkaOffset: tt.offset})
		wantDead[tt.reason]++
	}
	s.publish(good[10:])
	s.waitSettled(len(good)+len(tests), r)
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}

	m := r.l.metrics
	for reason, want := range wantDead {
		if got := testutil.ToFloat64(m.deadLettered.WithLabelValues(reason)); got != want {
			t.Errorf("dead letters %s = %v, want %v", reason, got, want)
		}
	}
	if got := testutil.ToFloat64(m.rowsWritten); got != float64(len(good)) {
		t.Errorf("rows written = %v, want %d", got, len(good))
	}
	dead := s.deadLetters(len(tests))
	for _, tt := range tests {
		found := false
		for _, d := range dead {
			if strings.HasPrefix(d.Attributes[attr.Error], tt.reason+": ") && d.Attributes[attr.Reason] == tt.reason &&
				d.Attributes[attr.KafkaOffset] == tt.offset && bytes.Equal(d.Data, tt.data) {
				found = true
				t.Logf("dead letter: %s", d.Attributes[attr.Error])
			}
		}
		if !found {
			t.Errorf("no dead letter %q with the message's data and attributes unchanged", tt.reason)
		}
	}
	got := s.queryInts("SELECT COUNT(*) FROM " + s.table(AlertsView))
	if got[0] != int64(len(good)) {
		t.Errorf("alerts view holds %d rows, want %d", got[0], len(good))
	}
}

// TestOutageThenDrain checks the other half of at-least-once: while
// BigQuery is down nothing is acked nor dead-lettered, the loader retries,
// and what is still unwritten when the drain ends is nacked, so Pub/Sub
// delivers it again to the next loader, which loads it.
func TestOutageThenDrain(t *testing.T) {
	s := newTestStack(t)
	cfg := s.cfg
	cfg.DrainTimeout = 500 * time.Millisecond
	cfg.AppendTimeout = time.Second // appends to a dead server hang in managedwriter's reconnects
	r := s.start(cfg)
	s.bq.Close() // BigQuery goes down
	p := packets(t, testNight, 3, 5)
	s.publish(p)
	m := r.l.metrics
	deadline := time.Now().Add(30 * time.Second)
	for testutil.ToFloat64(m.writeErrors.WithLabelValues(errorOutage)) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if err := r.stop(); err != nil {
		t.Logf("stop while BigQuery is down: %v", err) // managedwriter cannot close; reported, not fatal
	}
	if got := testutil.ToFloat64(m.writeErrors.WithLabelValues(errorOutage)); got == 0 {
		t.Error("no outage was seen while BigQuery was down")
	}
	if got := r.settled(); got != 0 {
		t.Errorf("%d messages acked or dead-lettered while BigQuery was down, want 0", got)
	}
	if got := testutil.ToFloat64(m.nacked); got != float64(len(p)) {
		t.Errorf("nacked %v messages, want %d", got, len(p))
	}

	s.startBigQuery() // BigQuery is back (empty: the emulator keeps nothing)
	r2 := s.start(s.cfg)
	s.waitSettled(len(p), r2)
	if err := r2.stop(); err != nil {
		t.Fatal(err)
	}
	got := s.queryInts("SELECT COUNT(*) FROM " + s.table(AlertsView))
	if got[0] != int64(len(p)) {
		t.Errorf("alerts view holds %d rows after the redelivery, want %d", got[0], len(p))
	}
}

// rowsOf reads every row of a query.
func rowsOf(t *testing.T, c *bigquery.Client, sql string) [][]bigquery.Value {
	t.Helper()
	it, err := c.Query(sql).Read(context.Background())
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	var rows [][]bigquery.Value
	for {
		var row []bigquery.Value
		err := it.Next(&row)
		if errors.Is(err, iterator.Done) {
			return rows
		}
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		rows = append(rows, row)
	}
}

// TestBackpressure publishes a backlog far larger than the loader may
// hold and checks that it never holds more than MaxOutstandingMessages
// messages at once, and loads them all.
func TestBackpressure(t *testing.T) {
	s := newTestStack(t)
	cfg := s.cfg
	cfg.MaxOutstandingMessages, cfg.BatchRows, cfg.WritesInFlight = 12, 5, 2
	p := packets(t, testNight, 4, 150)
	s.publish(p)
	r := s.start(cfg)
	m := r.l.metrics
	held := 0.0
	deadline := time.Now().Add(90 * time.Second)
	for r.settled() < len(p) && time.Now().Before(deadline) {
		held = max(held, testutil.ToFloat64(m.received)-float64(r.settled())-testutil.ToFloat64(m.nacked))
		time.Sleep(2 * time.Millisecond)
	}
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
	if got := testutil.ToFloat64(m.rowsWritten); got != float64(len(p)) {
		t.Errorf("rows written = %v, want %d", got, len(p))
	}
	if held > float64(cfg.MaxOutstandingMessages) || held < float64(cfg.BatchRows) {
		t.Errorf("the loader held up to %v messages at once, want between --batch-rows %d and --max-outstanding-messages %d", held, cfg.BatchRows, cfg.MaxOutstandingMessages)
	}
	t.Logf("held at most %v messages with a backlog of %d", held, len(p))
}
