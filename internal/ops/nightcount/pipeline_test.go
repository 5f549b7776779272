package nightcount_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ztfbridge/ztfbridge/bqloader"
	"github.com/ztfbridge/ztfbridge/functions"
	"github.com/ztfbridge/ztfbridge/internal/core/deps"
	"github.com/ztfbridge/ztfbridge/internal/dev/simulate"
	"github.com/ztfbridge/ztfbridge/internal/dev/stack/stacktest"
	"github.com/ztfbridge/ztfbridge/internal/dev/synth"
	"github.com/ztfbridge/ztfbridge/internal/ops/backfill"
	"github.com/ztfbridge/ztfbridge/internal/ops/nightcount"
)

// TestPipelineNight runs a night and its 10am replay through the real
// components on the local stack (Kafka -> connector, as ztfbridge backfill
// runs it -> Pub/Sub -> the function, by push, and the loader) and counts
// it: every alert once in GCS and BigQuery, both replays in Kafka and
// Pub/Sub, and scripts/count-night.sh agreeing with ztfbridge count.
func TestPipelineNight(t *testing.T) {
	const n = 25
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	k, g, p, b := stacktest.Kafka(t), stacktest.GCS(t, bucket), stacktest.PubSub(t), stacktest.BigQuery(t)
	discard := slog.New(slog.DiscardHandler)

	if _, err := simulate.Run(ctx, simulate.Config{Brokers: k.Addrs(), Topic: testNight.Topic(), Partitions: 4, Replay: true},
		simulate.Generated(synth.Config{Night: testNight, Seed: 11}, n)); err != nil {
		t.Fatal(err)
	}

	alerts, dead := stacktest.Name(t, "alerts"), stacktest.Name(t, "dead")
	for _, topic := range []string{alerts, dead} {
		if _, err := p.ResetTopic(ctx, topic); err != nil {
			t.Fatal(err)
		}
	}
	// The function, fed by a push subscription as Eventarc would.
	a, err := functions.New(ctx, functions.Config{Bucket: bucket, QuarantinePrefix: "quarantine/"}, deps.WithLogger(discard), deps.WithStorageOptions(g.ClientOptions()...))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	srv := httptest.NewServer(a)
	defer srv.Close()
	endpoint := srv.URL + "/projects/" + p.Project + "/topics/" + alerts
	if _, err := p.ResetPushSubscription(ctx, stacktest.Name(t, "function"), alerts, endpoint); err != nil {
		t.Fatal(err)
	}
	// The loader.
	dataset := stacktest.Name(t, "ztf")
	lc := bqloader.DefaultConfig()
	lc.CreateResources = true
	lc.Project, lc.PubSubProject, lc.Dataset = b.Project, p.Project, dataset
	lc.BigQueryAPI, lc.StorageWriteAPI = b.Endpoint(), b.GRPCAddr
	lc.PubSubTopic, lc.DeadLetterTopic, lc.Subscription = alerts, dead, stacktest.Name(t, "load")
	lc.BatchDelay = 50 * time.Millisecond
	l, err := bqloader.New(ctx, lc, deps.WithPubSubOptions(p.ClientOptions()...), deps.WithLogger(discard))
	if err != nil {
		t.Fatal(err)
	}
	lctx, stopLoader := context.WithCancel(ctx)
	loaded := make(chan error, 1)
	go func() { loaded <- l.Run(lctx) }()
	defer func() {
		stopLoader()
		if err := <-loaded; err != nil {
			t.Error(err)
		}
		l.Close()
	}()

	// The connector, until it has published the whole topic.
	bc := backfill.DefaultConfig()
	bc.Poll = 100 * time.Millisecond
	cc := &bc.Connector
	cc.Brokers, cc.PubSubProject = k.Addrs(), p.Project
	cc.PubSubTopic, cc.DeadLetterTopic = alerts, dead
	cc.CountsBucket = bucket
	cc.CommitEvery = 100 * time.Millisecond
	_, err = backfill.Run(ctx, bc, testNight, deps.WithLogger(discard),
		deps.WithPubSubOptions(p.ClientOptions()...), deps.WithStorageOptions(g.ClientOptions()...))
	if err != nil {
		t.Fatal(err)
	}

	cfg := nightcount.DefaultConfig()
	cfg.Brokers, cfg.Bucket = k.Addrs(), bucket
	gcsOpt := deps.WithStorageOptions(g.ClientOptions()...)
	cfg.Project, cfg.Dataset, cfg.BigQueryAPI = b.Project, dataset, b.Endpoint()
	var c nightcount.StageCounts
	for c.GCSObjects == nil || *c.GCSObjects < n || c.DistinctCandids == nil || *c.DistinctCandids < n {
		select {
		case <-ctx.Done():
			t.Fatalf("the night never arrived whole: %s", jsonOf(t, c))
		case <-time.After(500 * time.Millisecond):
		}
		if c, err = nightcount.Count(ctx, cfg, testNight, gcsOpt); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(time.Second) // the replay's last deliveries: they must change nothing
	if c, err = nightcount.Count(ctx, cfg, testNight, gcsOpt); err != nil {
		t.Fatal(err)
	}
	want := nightcount.StageCounts{Night: testNight, Topic: testNight.Topic(), KafkaMessages: ptr(2 * n),
		PubSubPublished: ptr(2 * n), PubSubDeadLetter: ptr(0), GCSObjects: ptr(n), BigQueryRows: ptr(n), DistinctCandids: ptr(n)}
	if jsonOf(t, c) != jsonOf(t, want) {
		t.Errorf("after the night and its replay:\n%s\nwant\n%s", jsonOf(t, c), jsonOf(t, want))
	}
	if v := c.Verdict(n); !v.OK() {
		t.Errorf("verdict %s", v)
	}
	s := storedNight{kafka: k, gcs: g, bq: b, cfg: cfg, gcsOpt: gcsOpt, n: n}
	s.assertScriptAgrees(t, ctx)
}
