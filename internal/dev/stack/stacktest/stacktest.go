// Package stacktest gives tests the real local servers of package stack in
// one line each, stopped by t.Cleanup:
//
//	k := stacktest.Kafka(t)            // a fresh kfake cluster per test
//	g := stacktest.GCS(t, "alerts")    // a fresh fake-gcs-server with bucket "alerts"
//	p := stacktest.PubSub(t)           // gcloud's Pub/Sub emulator
//	b := stacktest.BigQuery(t)         // the BigQuery emulator
//
// Kafka and GCS run in-process and start in milliseconds, so every call
// gets its own. The Pub/Sub and BigQuery emulators are processes that take
// seconds to start: a test binary whose TestMain calls Main shares one of
// each among all its tests (started on first use, stopped when the tests
// end); without Main every call starts and stops its own. Tests that share
// an emulator isolate themselves by names: Name gives each test its own
// topic, subscription or dataset name, and PubSub's Reset* helpers start
// from empty.
//
//	func TestMain(m *testing.M) { stacktest.Main(m) }
//
// A test waits for what another process or goroutine does with WaitFor
// (or Poll), not a fixed sleep, and gives a server it starts itself an
// address from FreeAddr:
//
//	addr := stacktest.FreeAddr(t)
//	// start a process listening on addr ...
//	stacktest.WaitListening(t, time.Minute, addr)
package stacktest

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ztfbridge/ztfbridge/internal/dev/stack"
)

// shared holds the emulators shared by a test binary that called Main.
// It is package state because a test binary is one process and TestMain
// is the only hook that outlives its tests.
var shared struct {
	sync.Mutex
	enabled  bool
	pubsub   *stack.PubSub
	bigquery *stack.BigQuery
}

// Main runs the tests of m with one Pub/Sub and one BigQuery emulator
// shared among them, stops them, removes the commands Command built, and
// exits with m's status. Call it from TestMain.
func Main(m *testing.M) {
	shared.Lock()
	shared.enabled = true
	shared.Unlock()
	code := m.Run()
	shared.Lock()
	if shared.pubsub != nil {
		shared.pubsub.Close()
	}
	if shared.bigquery != nil {
		shared.bigquery.Close()
	}
	shared.Unlock()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// logger reports the emulators' warnings (such as the pstest fallback) and
// start-up on stderr without the noise of every test's output.
func logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// Kafka returns a new in-process Kafka cluster with default options (one
// broker, 10 partitions per topic, no topic auto-creation), closed when the
// test ends.
func Kafka(t testing.TB) *stack.Kafka { return KafkaWith(t, stack.KafkaOptions{}) }

// KafkaWith is Kafka with options.
func KafkaWith(t testing.TB, opts stack.KafkaOptions) *stack.Kafka {
	t.Helper()
	k, err := stack.StartKafka(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(k.Close)
	return k
}

// GCS returns a new in-memory fake-gcs-server holding the given empty
// buckets, closed when the test ends.
func GCS(t testing.TB, buckets ...string) *stack.GCS {
	t.Helper()
	g, err := stack.StartGCS(t.Context(), stack.GCSOptions{Buckets: buckets})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Close)
	return g
}

// PubSub returns the Pub/Sub emulator: the binary's shared one under Main,
// else a new one closed when the test ends. Tests sharing it must use
// their own topic names (Name) and start them with ResetTopic.
func PubSub(t testing.TB) *stack.PubSub {
	t.Helper()
	start := func() (*stack.PubSub, error) {
		return stack.StartPubSub(context.Background(), logger(), stack.PubSubOptions{})
	}
	return sharedOrOwn(t, &shared.pubsub, start, (*stack.PubSub).Close)
}

// sharedOrOwn returns *slot, starting it first if needed, when Main
// enabled sharing; otherwise a server of the test's own.
func sharedOrOwn[S any](t testing.TB, slot **S, start func() (*S, error), stop func(*S)) *S {
	t.Helper()
	shared.Lock()
	defer shared.Unlock()
	if shared.enabled && *slot != nil {
		return *slot
	}
	s, err := start()
	if err != nil {
		t.Fatal(err)
	}
	if shared.enabled {
		*slot = s
	} else {
		t.Cleanup(func() { stop(s) })
	}
	return s
}

// BigQuery returns the BigQuery emulator: the binary's shared one under
// Main, else a new one closed when the test ends. Tests sharing it must use
// their own dataset names (Name). The first use on a machine builds the
// emulator (minutes; see stack.StartBigQuery).
func BigQuery(t testing.TB) *stack.BigQuery {
	t.Helper()
	start := func() (*stack.BigQuery, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
		defer cancel()
		return stack.StartBigQuery(ctx, logger(), stack.BigQueryOptions{Source: filepath.Join(RepoRoot(t), "tools", "bqemulator")})
	}
	return sharedOrOwn(t, &shared.bigquery, start, (*stack.BigQuery).Close)
}

var names atomic.Int64

// Name returns a name unique in this test binary that starts with prefix
// and tells which test made it, made of lower-case letters, digits and
// underscores: valid as a Pub/Sub topic or subscription id, a BigQuery
// dataset or table id, a Kafka topic or a GCS bucket. Use it for anything
// created on a shared emulator.
func Name(t testing.TB, prefix string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(t.Name()) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	test := b.String()
	if len(test) > 40 {
		test = test[len(test)-40:]
	}
	return fmt.Sprintf("%s_%s_%d", prefix, strings.Trim(test, "_"), names.Add(1))
}

// RepoRoot returns the root of the ztfbridge repository (stack.RepoRoot).
func RepoRoot(t testing.TB) string {
	t.Helper()
	root, err := stack.RepoRoot()
	return must(t, root, err)
}

// AlertsDir returns the folder of real ZTF alert packets shared beside the
// repository (../shared/ztf-alerts), failing the test if it is missing.
func AlertsDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(RepoRoot(t), "..", "shared", "ztf-alerts")
	if _, err := os.Stat(filepath.Join(dir, "MANIFEST.tsv")); err != nil {
		t.Fatalf("real ZTF alerts: %v", err)
	}
	return dir
}
