package nightcount_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ztfbridge/ztfbridge/bqloader"
	"github.com/ztfbridge/ztfbridge/connector"
	"github.com/ztfbridge/ztfbridge/functions"
	"github.com/ztfbridge/ztfbridge/internal/core/attr"
	"github.com/ztfbridge/ztfbridge/internal/core/bqrow"
	"github.com/ztfbridge/ztfbridge/internal/core/deps"
	"github.com/ztfbridge/ztfbridge/internal/core/night"
	"github.com/ztfbridge/ztfbridge/internal/dev/simulate"
	"github.com/ztfbridge/ztfbridge/internal/dev/stack"
	"github.com/ztfbridge/ztfbridge/internal/dev/stack/stacktest"
	"github.com/ztfbridge/ztfbridge/internal/dev/synth"
	"github.com/ztfbridge/ztfbridge/internal/ops/nightcount"
)

func TestMain(m *testing.M) { stacktest.Main(m) }

const bucket = "alerts"

var testNight = night.Of(time.Date(2020, 12, 27, 0, 0, 0, 0, time.UTC))

// storedNight is a night as the pipeline leaves it on the local stack.
type storedNight struct {
	kafka  *stack.Kafka
	gcs    *stack.GCS
	bq     *stack.BigQuery
	cfg    nightcount.Config // every stage configured
	gcsOpt deps.Option       // reaches s.gcs
	n      int               // unique alerts
}

// storeNight produces n synthetic alerts of testNight and their 10am replay
// into Kafka (2n messages), stores each delivery in GCS through the
// function (n objects), writes the connector's record (2n published,
// deadLetters dead letters) and loads one row per alert into BigQuery
// with EnsureTables, as the loader would.
func storeNight(t *testing.T, n int, deadLetters int64) storedNight {
	t.Helper()
	ctx := t.Context()
	s := storedNight{kafka: stacktest.Kafka(t), gcs: stacktest.GCS(t, bucket), bq: stacktest.BigQuery(t), n: n}
	gen := synth.Config{Night: testNight, Seed: 7}
	packets, err := synth.Generate(gen, n)
	if err != nil {
		t.Fatal(err)
	}
	topic := testNight.Topic()
	if _, err := simulate.Run(ctx, simulate.Config{Brokers: s.kafka.Addrs(), Topic: topic, Partitions: 4, Replay: true}, simulate.Generated(gen, n)); err != nil {
		t.Fatal(err)
	}

	a, err := functions.New(ctx, functions.Config{Bucket: bucket, QuarantinePrefix: "quarantine/"}, deps.WithLogger(slog.New(slog.DiscardHandler)), deps.WithStorageOptions(s.gcs.ClientOptions()...))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	for pass := range 2 {
		for i, p := range packets {
			m := functions.Message{ID: strconv.Itoa(pass*n + i), Data: p.Data, Attributes: map[string]string{attr.KafkaTopic: topic}}
			if _, err := a.Store(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
	}
	sc, err := s.gcs.Client(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	rec, _ := json.Marshal(connector.TopicTally{Topic: topic, Published: int64(2 * n), DeadLettered: deadLetters, UpdatedAt: time.Now().UTC()})
	w := sc.Bucket(bucket).Object(connector.TallyObject(topic)).NewWriter(ctx)
	w.Write(rec)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	bc, err := s.bq.Client(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer bc.Close()
	dataset := stacktest.Name(t, "ztf")
	if _, err := bqloader.EnsureTables(ctx, bc, dataset, "US", bqrow.Schema(bqrow.Options{})); err != nil {
		t.Fatal(err)
	}
	rows := make([]*bqrow.Row, n)
	for i, p := range packets {
		rows[i] = bqrow.New(p.Alert, bqrow.Ingest{Kafka: attr.Kafka{Topic: topic, Offset: int64(i)}, IngestTime: time.Now()}, bqrow.Options{})
	}
	if err := bc.Dataset(dataset).Table(bqloader.RawTable).Inserter().Put(ctx, rows); err != nil {
		t.Fatal(err)
	}

	s.cfg = nightcount.DefaultConfig()
	s.cfg.Brokers = s.kafka.Addrs()
	s.cfg.Bucket = bucket
	s.gcsOpt = deps.WithStorageOptions(s.gcs.ClientOptions()...)
	s.cfg.Project, s.cfg.Dataset, s.cfg.BigQueryAPI = s.bq.Project, dataset, s.bq.Endpoint()
	return s
}

func ptr(n int64) *int64 { return &n }

func TestCount(t *testing.T) {
	const n = 12
	s := storeNight(t, n, 1)
	full := nightcount.StageCounts{Night: testNight, Topic: "ztf_20201227_programid1",
		KafkaMessages: ptr(2 * n), PubSubPublished: ptr(2 * n), PubSubDeadLetter: ptr(1),
		GCSObjects: ptr(n), BigQueryRows: ptr(n), DistinctCandids: ptr(n)}
	tests := []struct {
		name   string
		config func(nightcount.Config) nightcount.Config
		night  night.Night
		want   nightcount.StageCounts
	}{
		{"every stage", func(c nightcount.Config) nightcount.Config { return c }, testNight, full},
		{"no stage configured is n/a, not an error", func(nightcount.Config) nightcount.Config { return nightcount.DefaultConfig() }, testNight,
			nightcount.StageCounts{Night: testNight, Topic: "ztf_20201227_programid1"}},
		{"GCP without Kafka", func(c nightcount.Config) nightcount.Config { c.Brokers = nil; return c }, testNight,
			func() nightcount.StageCounts { c := full; c.KafkaMessages = nil; return c }()},
		{"another night: no topic, no record, nothing stored", func(c nightcount.Config) nightcount.Config { return c }, testNight.AddDays(1),
			nightcount.StageCounts{Night: testNight.AddDays(1), Topic: "ztf_20201228_programid1", GCSObjects: ptr(0), BigQueryRows: ptr(0), DistinctCandids: ptr(0)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := nightcount.Count(t.Context(), tt.config(s.cfg), tt.night, s.gcsOpt)
			if err != nil {
				t.Fatal(err)
			}
			if g, w := jsonOf(t, got), jsonOf(t, tt.want); g != w {
				t.Errorf("Count =\n%s\nwant\n%s", g, w)
			}
		})
	}
}

func TestCountReportsAStageThatFails(t *testing.T) {
	cfg := nightcount.DefaultConfig()
	cfg.Bucket = bucket
	cfg.Brokers = stacktest.Kafka(t).Addrs()
	got, err := nightcount.Count(t.Context(), cfg, testNight, deps.WithStorageOptions(stacktest.GCS(t).ClientOptions()...)) // no such bucket
	if err == nil || !strings.Contains(err.Error(), "cloud storage") {
		t.Fatalf("Count err = %v, want a cloud storage error", err)
	}
	if got.GCSObjects != nil || got.Night != testNight {
		t.Errorf("Count = %s, want the night and no GCS count", jsonOf(t, got))
	}
}

func TestVerdict(t *testing.T) {
	tests := []struct {
		name                string
		gcs, rows, distinct *int64
		expect              int64
		wantLost, wantDup   bool
		wantString          string
	}{
		{"all there", ptr(10), ptr(10), ptr(10), 10, false, false, "OK"},
		{"nothing counted", nil, nil, nil, 10, false, false, "OK"},
		{"unknown expectation, stages agree", ptr(7), ptr(7), ptr(7), 0, false, false, "OK"},
		{"GCS short", ptr(9), ptr(10), ptr(10), 10, true, false, "LOST: 1 of 10 alerts missing from GCS"},
		{"BigQuery short", ptr(10), ptr(8), ptr(8), 10, true, false, "LOST: 2 of 10 alerts missing from BigQuery"},
		{"stages disagree", ptr(10), ptr(9), ptr(9), 0, true, false, "LOST: GCS holds 10 alerts, BigQuery 9"},
		{"rows repeat a candid", ptr(10), ptr(12), ptr(10), 10, false, true, "DUPLICATED: 2 BigQuery rows repeat a candid"},
		{"more objects than expected", ptr(11), ptr(10), ptr(10), 10, false, true, "DUPLICATED: 1 more objects in GCS than the 10 expected"},
		{"both", ptr(11), ptr(12), ptr(9), 10, true, true,
			"LOST, DUPLICATED: 1 more objects in GCS than the 10 expected; 1 of 10 alerts missing from BigQuery; 3 BigQuery rows repeat a candid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := nightcount.StageCounts{GCSObjects: tt.gcs, BigQueryRows: tt.rows, DistinctCandids: tt.distinct}.Verdict(tt.expect)
			if v.Lost != tt.wantLost || v.Duplicated != tt.wantDup || v.String() != tt.wantString || v.OK() != (!tt.wantLost && !tt.wantDup) {
				t.Errorf("Verdict = %+v %q, want lost %v duplicated %v %q", v, v, tt.wantLost, tt.wantDup, tt.wantString)
			}
		})
	}
}

func TestWriteTable(t *testing.T) {
	c := nightcount.StageCounts{Night: testNight, KafkaMessages: ptr(24), GCSObjects: ptr(12), BigQueryRows: ptr(12), DistinctCandids: ptr(12)}
	var b bytes.Buffer
	if err := nightcount.WriteTable(&b, 12, c); err != nil {
		t.Fatal(err)
	}
	want := `   night | alerts in Kafka | Pub/Sub messages | Avros in GCS | BigQuery rows | distinct candids
20201227 |              24 |              n/a |           12 |            12 |               12
verdict 20201227 (12 expected): OK
`
	if b.String() != want {
		t.Errorf("WriteTable:\n%s\nwant\n%s", b.String(), want)
	}
}

// TestScriptAgrees counts a stored night with scripts/count-night.sh,
// listing with gcloud storage and with gsutil, and with Count + WriteJSON,
// what "ztfbridge count --json" prints: every figure must be the same.
func TestScriptAgrees(t *testing.T) {
	const n = 15
	s := storeNight(t, n, 0)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	s.assertScriptAgrees(t, ctx)
}

// assertScriptAgrees checks that scripts/count-night.sh, with gcloud
// storage and with gsutil, prints what "ztfbridge count --json --expect n"
// does (Count + WriteJSON), and that the verdict is OK.
func (s storedNight) assertScriptAgrees(t *testing.T, ctx context.Context) {
	t.Helper()
	counts, err := nightcount.Count(ctx, s.cfg, testNight, s.gcsOpt)
	if err != nil {
		t.Fatal(err)
	}
	var js bytes.Buffer
	if err := nightcount.WriteJSON(&js, int64(s.n), counts); err != nil {
		t.Fatal(err)
	}
	var report map[string]any
	if err := json.Unmarshal(js.Bytes(), &report); err != nil {
		t.Fatal(err)
	}
	if report["ok"] != true {
		t.Errorf("ztfbridge count verdict is not OK: %s", js.String())
	}
	fromCount := map[string]string{"night": "20201227"}
	for script, field := range map[string]string{
		"alerts_in_kafka": "kafka_messages", "pubsub_messages": "pubsub_published", "avros_in_gcs": "gcs_objects",
		"bigquery_rows": "bigquery_rows", "distinct_candids": "distinct_candids",
	} {
		fromCount[script] = strconv.FormatFloat(report[field].(float64), 'f', -1, 64)
	}
	if fromCount["avros_in_gcs"] != strconv.Itoa(s.n) || fromCount["alerts_in_kafka"] != strconv.Itoa(2*s.n) {
		t.Errorf("ztfbridge count = %v, want %d objects and %d Kafka messages", fromCount, s.n, 2*s.n)
	}

	script := filepath.Join(stacktest.RepoRoot(t), "scripts", "count-night.sh")
	env := append(os.Environ(), s.gcs.Env()...)
	env = append(env, s.bq.Env()...)
	env = append(env, stack.CLIEnv(s.bq.Project)...)
	env = append(env, "ZTFBRIDGE_BUCKET="+bucket, "ZTFBRIDGE_PROJECT="+s.bq.Project, "ZTFBRIDGE_DATASET="+s.cfg.Dataset,
		"ZTFBRIDGE_BROKERS="+s.kafka.Bootstrap())
	for _, ls := range []string{"gcloud", "gsutil"} {
		t.Run(ls, func(t *testing.T) {
			cmd := exec.CommandContext(ctx, script, "20201227")
			cmd.Env = append(env, "COUNT_LS="+ls)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("%s: %v\n%s", script, err, stderr.String())
			}
			fromScript := map[string]string{}
			for line := range strings.Lines(string(out)) {
				k, v, _ := strings.Cut(strings.TrimSpace(line), " ")
				fromScript[k] = v
			}
			if g, w := jsonOf(t, fromScript), jsonOf(t, fromCount); g != w {
				t.Errorf("count-night.sh says\n%s\nztfbridge count says\n%s\ncommands:\n%s", g, w, stderr.String())
			} else {
				t.Logf("count-night.sh (%s) and ztfbridge count agree: %s", ls, g)
			}
		})
	}
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestStageGroup reads configured stages at once, skips the others, and
// joins the errors under their stages' names.
func TestStageGroup(t *testing.T) {
	var g nightcount.StageGroup
	// Each of the two waits for the other to start: run one after the
	// other, they would never finish.
	kafkaStarted, gcsStarted := make(chan struct{}), make(chan struct{})
	var skippedRan bool
	g.Go("kafka", true, func() error {
		close(kafkaStarted)
		<-gcsStarted
		return errors.New("no brokers")
	})
	g.Go("cloud storage", true, func() error {
		close(gcsStarted)
		<-kafkaStarted
		return errors.New("no bucket")
	})
	g.Go("bigquery", false, func() error {
		skippedRan = true
		return errors.New("not configured, never run")
	})
	err := g.Wait()
	if err == nil {
		t.Fatal("Wait = nil, want both errors")
	}
	for _, want := range []string{"kafka: no brokers", "cloud storage: no bucket"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Wait = %q, want %q in it", err, want)
		}
	}
	if skippedRan || strings.Contains(err.Error(), "bigquery") {
		t.Errorf("a stage that is not configured ran: %v", err)
	}
	var none nightcount.StageGroup
	if err := none.Wait(); err != nil {
		t.Errorf("Wait of no stages = %v, want nil", err)
	}
}
