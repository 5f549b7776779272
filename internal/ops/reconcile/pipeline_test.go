package reconcile_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/bigquery"
	"cloud.google.com/go/storage"

	"github.com/ztfbridge/ztfbridge/bqloader"
	"github.com/ztfbridge/ztfbridge/functions"
	"github.com/ztfbridge/ztfbridge/internal/core/deps"
	"github.com/ztfbridge/ztfbridge/internal/core/message"
	"github.com/ztfbridge/ztfbridge/internal/core/night"
	"github.com/ztfbridge/ztfbridge/internal/dev/simulate"
	"github.com/ztfbridge/ztfbridge/internal/dev/stack"
	"github.com/ztfbridge/ztfbridge/internal/dev/stack/stacktest"
	"github.com/ztfbridge/ztfbridge/internal/dev/synth"
	"github.com/ztfbridge/ztfbridge/internal/ops/backfill"
	"github.com/ztfbridge/ztfbridge/internal/ops/reconcile"
)

func TestMain(m *testing.M) { stacktest.Main(m) }

const bucket = "alerts"

var testNight = night.Of(time.Date(2020, 12, 27, 0, 0, 0, 0, time.UTC))

// pipeline is the night's pipeline on the local stack: Kafka, the
// connector (run as ztfbridge backfill runs it, resumed by its group), the
// function fed by a push subscription and the loader, which can be down.
type pipeline struct {
	t                 *testing.T
	ctx               context.Context
	k                 *stack.Kafka
	g                 *stack.GCS
	p                 *stack.PubSub
	b                 *stack.BigQuery
	gcs               *storage.Client  // of g, to lose alerts
	bq                *bigquery.Client // of b, to lose rows
	function          *functions.Archiver
	alerts, dataset   string
	backfill          backfill.Config // the connector, run until it has published the topic
	lc                bqloader.Config
	stopLoader        func()
	reconcile         reconcile.Config
	reconcileOpts     []deps.Option // the stack's clients, no logs
	topic, connectGrp string
}

func newPipeline(t *testing.T, ctx context.Context) *pipeline {
	discard := slog.New(slog.DiscardHandler)
	pl := &pipeline{t: t, ctx: ctx, k: stacktest.Kafka(t), g: stacktest.GCS(t, bucket), p: stacktest.PubSub(t), b: stacktest.BigQuery(t),
		topic: testNight.Topic(), connectGrp: stacktest.Name(t, "connector")}
	pl.alerts = stacktest.Name(t, "alerts")
	dead := stacktest.Name(t, "dead")
	for _, topic := range []string{pl.alerts, dead} {
		if _, err := pl.p.ResetTopic(ctx, topic); err != nil {
			t.Fatal(err)
		}
	}
	a, err := functions.New(ctx, functions.Config{Bucket: bucket, QuarantinePrefix: "quarantine/"}, deps.WithLogger(discard), deps.WithStorageOptions(pl.g.ClientOptions()...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	pl.function = a
	if pl.gcs, err = pl.g.Client(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pl.gcs.Close() })
	if pl.bq, err = pl.b.Client(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pl.bq.Close() })
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	endpoint := srv.URL + "/projects/" + pl.p.Project + "/topics/" + pl.alerts
	if _, err := pl.p.ResetPushSubscription(ctx, stacktest.Name(t, "function"), pl.alerts, endpoint); err != nil {
		t.Fatal(err)
	}

	pl.dataset = stacktest.Name(t, "ztf")
	pl.lc = bqloader.DefaultConfig()
	pl.lc.Project, pl.lc.PubSubProject, pl.lc.Dataset = pl.b.Project, pl.p.Project, pl.dataset
	pl.lc.BigQueryAPI, pl.lc.StorageWriteAPI = pl.b.Endpoint(), pl.b.GRPCAddr
	pl.lc.PubSubTopic, pl.lc.DeadLetterTopic, pl.lc.Subscription = pl.alerts, dead, stacktest.Name(t, "load")
	pl.lc.BatchDelay, pl.lc.CreateResources = 50*time.Millisecond, true
	pl.lc.DedupRefresh = 24 * time.Hour

	pl.backfill = backfill.DefaultConfig()
	pl.backfill.Group, pl.backfill.Poll = pl.connectGrp, 100*time.Millisecond
	cc := &pl.backfill.Connector
	cc.Brokers, cc.PubSubProject = pl.k.Addrs(), pl.p.Project
	cc.PubSubTopic, cc.DeadLetterTopic = pl.alerts, dead
	cc.CommitEvery = 100 * time.Millisecond

	pl.reconcile = reconcile.DefaultConfig()
	pl.reconcile.Stages.Brokers = pl.k.Addrs()
	pl.reconcile.Stages.Bucket = bucket
	pl.reconcile.Stages.Project, pl.reconcile.Stages.Dataset, pl.reconcile.Stages.BigQueryAPI = pl.b.Project, pl.dataset, pl.b.Endpoint()
	pl.reconcile.PubSubProject, pl.reconcile.PubSubTopic = pl.p.Project, pl.alerts
	pl.reconcile.Progress = 0
	pl.reconcileOpts = []deps.Option{deps.WithLogger(discard),
		deps.WithStorageOptions(pl.g.ClientOptions()...), deps.WithPubSubOptions(pl.p.ClientOptions()...)}
	t.Cleanup(func() {
		if pl.stopLoader != nil {
			pl.loaderDown()
		}
	})
	return pl
}

// produceAndConnect produces packets into the night's topic and runs the
// connector until it has published them (its group resumes where the last
// call stopped).
func (pl *pipeline) produceAndConnect(packets [][]byte) {
	pl.t.Helper()
	if _, err := simulate.Run(pl.ctx, simulate.Config{Brokers: pl.k.Addrs(), Topic: pl.topic, Partitions: 2}, simulate.Packets(packets)); err != nil {
		pl.t.Fatal(err)
	}
	if _, err := backfill.Run(pl.ctx, pl.backfill, testNight, deps.WithLogger(slog.New(slog.DiscardHandler)),
		deps.WithPubSubOptions(pl.p.ClientOptions()...)); err != nil {
		pl.t.Fatal(err)
	}
}

// startLoader starts a loader, which creates its subscription when it is
// missing: what was published before the first start never reaches it.
func (pl *pipeline) startLoader() {
	pl.t.Helper()
	l, err := bqloader.New(pl.ctx, pl.lc, deps.WithPubSubOptions(pl.p.ClientOptions()...), deps.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		pl.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(pl.ctx)
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	pl.stopLoader = func() {
		cancel()
		if err := <-done; err != nil {
			pl.t.Error(err)
		}
		l.Close()
	}
}

func (pl *pipeline) loaderDown() {
	pl.stopLoader()
	pl.stopLoader = nil
}

// until runs reconcile until done says the report is as awaited.
func (pl *pipeline) until(cfg reconcile.Config, what string, done func(*reconcile.Report) bool) *reconcile.Report {
	pl.t.Helper()
	for {
		r, err := reconcile.Run(pl.ctx, cfg, testNight, pl.reconcileOpts...)
		if err != nil {
			pl.t.Fatal(err)
		}
		if done(r) {
			return r
		}
		select {
		case <-pl.ctx.Done():
			pl.t.Fatalf("%s never happened: %+v", what, r.Summarize(nil))
		case <-time.After(300 * time.Millisecond):
		}
	}
}

func (pl *pipeline) deleteObjects(candids ...int64) {
	pl.t.Helper()
	for _, cd := range candids {
		if err := pl.gcs.Bucket(bucket).Object(night.ObjectName(pl.topic, cd)).Delete(pl.ctx); err != nil {
			pl.t.Fatal(err)
		}
	}
}

func (pl *pipeline) deleteRows(candids ...int64) {
	pl.t.Helper()
	list := make([]string, len(candids))
	for i, cd := range candids {
		list[i] = strconv.FormatInt(cd, 10)
	}
	q := pl.bq.Query(fmt.Sprintf("DELETE FROM `%s.%s.%s` WHERE candid IN (%s)", pl.b.Project, pl.dataset, bqloader.RawTable, strings.Join(list, ",")))
	job, err := q.Run(pl.ctx)
	if err != nil {
		pl.t.Fatal(err)
	}
	if st, err := job.Wait(pl.ctx); err != nil || st.Err() != nil {
		pl.t.Fatal(err, st.Err())
	}
}

// missing returns the candids r finds missing from exactly the stages s.
func missing(r *reconcile.Report, s reconcile.Stages) []int64 {
	var l []int64
	for _, m := range r.Missing {
		if m.From == s {
			l = append(l, m.Candid)
		}
	}
	return l
}

func sorted(l []int64) []int64 { l = slices.Clone(l); slices.Sort(l); return l }

// TestReconcileNight runs a night through the pipeline with the loader
// down for its first half, deletes alerts from GCS and rows from
// BigQuery, and checks that reconcile names exactly those alerts, not the
// dead letters, that --repair fills every stage, that a second one
// publishes nothing, and that --stage gcs, --stage bigquery and a night
// gone from Kafka repair one stage.
func TestReconcileNight(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	pl := newPipeline(t, ctx)

	packets, poisons, err := synth.GeneratePoisoned(synth.Config{Night: testNight, Seed: 31}, 20)
	if err != nil {
		t.Fatal(err)
	}
	var first, second [][]byte
	var firstIDs, secondIDs []int64
	for i, p := range packets {
		if i < 10 {
			first, firstIDs = append(first, p.Data), append(firstIDs, p.Candid)
		} else {
			second, secondIDs = append(second, p.Data), append(secondIDs, p.Candid)
		}
	}
	wantDead := map[message.Reason]int{}
	for _, p := range poisons {
		// The kinds of bad input this branch's connector refuses too.
		switch p.Name {
		case "random bytes":
			first = append(first, p.Data)
		case "two records":
			second = append(second, p.Data)
		default:
			continue
		}
		wantDead[message.Reason(p.Reason)]++
	}

	// The first half of the night with the loader down (it has no
	// subscription yet), the second with it up.
	pl.produceAndConnect(first)
	for pl.function.Outcomes().Stored < 10 {
		select {
		case <-ctx.Done():
			t.Fatal("the function never stored the first half")
		case <-time.After(100 * time.Millisecond):
		}
	}
	pl.startLoader()
	pl.produceAndConnect(second)
	full := func(s reconcile.Stages, n int) func(*reconcile.Report) bool {
		return func(r *reconcile.Report) bool {
			return (s&reconcile.InGCS == 0 || r.GCS.Stored == n) && (s&reconcile.InBigQuery == 0 || r.BigQuery.Stored == n)
		}
	}
	pl.until(pl.reconcile, "the second half in BigQuery", full(reconcile.InBigQuery, 10))
	pl.until(pl.reconcile, "the night in GCS", full(reconcile.InGCS, 20))

	// Lose alerts: 3 objects, 2 rows (with the loader down, so that the
	// loader that repairs does not remember them).
	pl.loaderDown()
	goneGCS, goneBQ := secondIDs[:3], secondIDs[3:5]
	pl.deleteObjects(goneGCS...)
	pl.deleteRows(goneBQ...)

	r, err := reconcile.Run(ctx, pl.reconcile, testNight, pl.reconcileOpts...)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := missing(r, reconcile.InGCS), sorted(goneGCS); !slices.Equal(got, want) {
		t.Errorf("missing from GCS only: %v, want %v", got, want)
	}
	if got, want := missing(r, reconcile.InBigQuery), sorted(append(slices.Clone(firstIDs), goneBQ...)); !slices.Equal(got, want) {
		t.Errorf("missing from BigQuery only: %v, want %v", got, want)
	}
	if len(r.Missing) != 15 || len(r.Unexpected) != 0 {
		t.Errorf("%d missing, %d unexpected; want 15 and 0", len(r.Missing), len(r.Unexpected))
	}
	for _, m := range r.Missing {
		if !m.InKafka {
			t.Errorf("missing %d has no Kafka position", m.Candid)
		}
	}
	if r.Kafka.Messages != 22 || r.Kafka.Alerts != 20 || len(r.Kafka.DeadLetters) != 2 {
		t.Errorf("kafka: %d messages, %d alerts, %d dead letters; want 22, 20, 2", r.Kafka.Messages, r.Kafka.Alerts, len(r.Kafka.DeadLetters))
	}
	gotDead := map[message.Reason]int{}
	for _, d := range r.Kafka.DeadLetters {
		gotDead[d.Reason]++
	}
	if fmt.Sprint(gotDead) != fmt.Sprint(wantDead) {
		t.Errorf("dead letters by reason %v, want %v", gotDead, wantDead)
	}

	// Repair every stage, then again: the second publishes nothing.
	pl.startLoader()
	res, err := reconcile.Repair(ctx, pl.reconcile, r, reconcile.InGCS|reconcile.InBigQuery, pl.reconcileOpts...)
	if err != nil {
		t.Fatal(err)
	}
	if res.Published != 15 || res.FromKafka != 15 || len(res.Unrepairable) != 0 {
		t.Errorf("repair: %s; want 15 published from Kafka", res)
	}
	r = pl.until(pl.reconcile, "the repaired night", (*reconcile.Report).OK)
	if r.GCS.Stored != 20 || r.BigQuery.Stored != 20 || len(r.BigQuery.Duplicates) != 0 {
		t.Errorf("after the repair: %+v", r.Summarize(nil))
	}
	res, err = reconcile.Repair(ctx, pl.reconcile, r, reconcile.InGCS|reconcile.InBigQuery, pl.reconcileOpts...)
	if err != nil || res.Published != 0 || res.FromKafka != 0 {
		t.Errorf("second repair: %v, %v; want nothing published", res, err)
	}

	// --stage gcs: written straight into the bucket, nothing published.
	pl.deleteObjects(firstIDs[0])
	r, err = reconcile.Run(ctx, pl.reconcile, testNight, pl.reconcileOpts...)
	if err != nil {
		t.Fatal(err)
	}
	res, err = reconcile.Repair(ctx, pl.reconcile, r, reconcile.InGCS, pl.reconcileOpts...)
	if err != nil || res.Written != 1 || res.Published != 0 {
		t.Errorf("--stage gcs: %v, %v; want 1 written, 0 published", res, err)
	}
	if r, err = reconcile.Run(ctx, pl.reconcile, testNight, pl.reconcileOpts...); err != nil || !r.OK() {
		t.Errorf("after --stage gcs: %+v, %v", r.Summarize(nil), err)
	}

	// --stage bigquery on a night gone from Kafka: read from GCS.
	pl.loaderDown()
	pl.deleteRows(firstIDs[1])
	pl.startLoader()
	noKafka := pl.reconcile
	noKafka.Stages.Brokers = nil
	r, err = reconcile.Run(ctx, noKafka, testNight, pl.reconcileOpts...)
	if err != nil {
		t.Fatal(err)
	}
	if got := missing(r, reconcile.InBigQuery); !slices.Equal(got, []int64{firstIDs[1]}) {
		t.Errorf("without Kafka, missing from BigQuery %v, want %v", got, firstIDs[1:2])
	}
	res, err = reconcile.Repair(ctx, noKafka, r, reconcile.InBigQuery, pl.reconcileOpts...)
	if err != nil || res.FromGCS != 1 || res.Published != 1 {
		t.Errorf("--stage bigquery from GCS: %v, %v; want 1 read from GCS and published", res, err)
	}
	r = pl.until(pl.reconcile, "BigQuery repaired from GCS", (*reconcile.Report).OK)
	if len(r.BigQuery.Duplicates) != 0 || pl.function.Outcomes().Stored != 23 {
		t.Errorf("after --stage bigquery: %d duplicates, function stored %d (want 0, 23: 20, then the 3 objects of the repair)", len(r.BigQuery.Duplicates), pl.function.Outcomes().Stored)
	}
}
