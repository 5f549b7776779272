package functions_test

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2"

	"github.com/ztfbridge/ztfbridge/functions"
	"github.com/ztfbridge/ztfbridge/internal/core/config"
	"github.com/ztfbridge/ztfbridge/internal/core/deps"
	"github.com/ztfbridge/ztfbridge/internal/core/logging"
	"github.com/ztfbridge/ztfbridge/internal/core/night"
	"github.com/ztfbridge/ztfbridge/internal/dev/stack/stacktest"
)

// serveAddrEnv makes the test binary, started again by startFunction, run
// functions.Serve on the given address instead of the tests, so that the
// function is a process of its own that SIGTERM stops, as on Cloud Run.
const serveAddrEnv = "ZTFBRIDGE_TEST_SERVE_ADDR"

// serve runs the function the way "ztfbridge serve-function" does, with
// its configuration from the ZTFBRIDGE_* environment, until SIGTERM.
func serve(addr string) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	log := logging.New(os.Stderr, slog.LevelInfo)
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfg := functions.DefaultConfig()
	cfg.AddFlags(fs)
	if err := config.Parse(fs, nil); err != nil {
		log.Error("config", "err", err)
		return 2
	}
	a, err := functions.New(ctx, cfg, deps.WithLogger(log))
	if err != nil {
		log.Error("start", "err", err)
		return 1
	}
	err = functions.Serve(ctx, addr, a)
	if cerr := a.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		log.Error("serve", "err", err)
		return 1
	}
	return 0
}

// function is the function served by a child process, and its log.
type function struct {
	URL string // http://127.0.0.1:PORT

	cmd  *exec.Cmd
	mu   sync.Mutex
	logs []map[string]any
	done chan struct{}
}

// startFunction serves the function in a child process with env (plus the
// ZTFBRIDGE_* configuration) and waits until it accepts connections.
func startFunction(t *testing.T, env ...string) *function {
	t.Helper()
	addr := stacktest.FreeAddr(t)
	f := &function{URL: "http://" + addr, done: make(chan struct{})}
	f.cmd = exec.Command(os.Args[0], "-test.run=^$")
	f.cmd.Env = append(append(os.Environ(), serveAddrEnv+"="+addr), env...)
	stderr, err := f.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := f.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go f.collect(stderr)
	t.Cleanup(func() { f.stop(t) })
	stacktest.WaitListening(t, 30*time.Second, addr)
	return f
}

// collect keeps the child's JSON log lines.
func (f *function) collect(r io.Reader) {
	defer close(f.done)
	s := bufio.NewScanner(r)
	s.Buffer(nil, 1<<20)
	for s.Scan() {
		var rec map[string]any
		if json.Unmarshal(s.Bytes(), &rec) != nil {
			continue // the framework's own plain-text lines
		}
		f.mu.Lock()
		f.logs = append(f.logs, rec)
		f.mu.Unlock()
	}
}

// outcomes counts the logged outcomes.
func (f *function) outcomes() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := map[string]int{}
	for _, rec := range f.logs {
		if o, ok := rec["outcome"].(string); ok {
			n[o]++
		}
	}
	return n
}

// stop sends SIGTERM and checks the child exits cleanly. Calling it again
// is harmless.
func (f *function) stop(t *testing.T) {
	t.Helper()
	if f.cmd.ProcessState != nil {
		return
	}
	_ = f.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-f.done:
	case <-time.After(20 * time.Second):
		_ = f.cmd.Process.Kill()
	}
	if err := f.cmd.Wait(); err != nil {
		t.Errorf("function exited with %v", err)
	}
}

// TestPushFromEmulator runs the function (functions.Serve) fed by a push
// subscription of gcloud's Pub/Sub emulator: N alerts give N
// objects, the replay of the same N gives N duplicates and no new object,
// copies published at once leave one object, and a corrupt message ends in
// quarantine.
func TestPushFromEmulator(t *testing.T) {
	const n = 30
	ctx := t.Context()
	g := stacktest.GCS(t, bucket)
	ps := stacktest.PubSub(t)
	if ps.InProcess {
		t.Fatal("push delivery needs gcloud's Pub/Sub emulator; pstest has none")
	}
	fn := startFunction(t, "ZTFBRIDGE_BUCKET="+bucket, "STORAGE_EMULATOR_HOST="+g.URL())

	topic := stacktest.Name(t, "alerts")
	if _, err := ps.ResetTopic(ctx, topic); err != nil {
		t.Fatal(err)
	}
	// The endpoint terraform/pubsub.tf gives the deployed function.
	endpoint := fn.URL + "/" + ps.TopicName(topic)
	if _, err := ps.ResetPushSubscription(ctx, stacktest.Name(t, "push"), topic, endpoint); err != nil {
		t.Fatal(err)
	}
	client, err := ps.Client(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	pub := client.Publisher(ps.TopicName(topic))
	defer pub.Stop()
	publish := func(msgs ...functions.Message) {
		t.Helper()
		var results []*pubsub.PublishResult
		for _, m := range msgs {
			results = append(results, pub.Publish(ctx, &pubsub.Message{Data: m.Data, Attributes: m.Attributes}))
		}
		for _, r := range results {
			if _, err := r.Get(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	storage, err := g.Client(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer storage.Close()
	alertObjects := func() int { return len(objects(t, storage, "ztf_")) }

	msgs, pkts := synthetic(t, n+1)
	msgs, extra := msgs[:n], msgs[n]
	corrupt := functions.Message{Data: []byte("Obj\x01 but nothing else"), Attributes: msgs[0].Attributes}
	publish(append(msgs, corrupt)...)
	stacktest.WaitFor(t, time.Minute, fmt.Sprintf("fewer than %d alert objects", n), func() bool { return alertObjects() >= n })
	stacktest.WaitFor(t, time.Minute, "the corrupt message was not quarantined", func() bool { return len(objects(t, storage, "quarantine/")) == 1 })
	first := objects(t, storage, "ztf_")
	for _, p := range pkts[:n] {
		name := night.ObjectName(testNight.Topic(), p.Candid)
		o := first[name]
		if o == nil {
			t.Fatalf("no object %s", name)
		}
		if o.Metadata["candid"] != strconv.FormatInt(p.Candid, 10) || o.Metadata["pubsub.messageId"] == "" {
			t.Errorf("%s metadata %v", name, o.Metadata)
		}
	}
	for _, q := range objects(t, storage, "quarantine/") {
		if q.Metadata["reason"] != "undecodable" || !strings.HasPrefix(q.Metadata["error"], "undecodable: ") {
			t.Errorf("quarantined %s with reason %q", q.Name, q.Metadata["error"])
		}
	}

	publish(msgs...) // the 10am replay
	stacktest.WaitFor(t, time.Minute, fmt.Sprintf("fewer than %d duplicates", n), func() bool { return fn.outcomes()["duplicate"] >= n })

	copies := make([]functions.Message, 8)
	for i := range copies {
		copies[i] = extra
	}
	publish(copies...)
	stacktest.WaitFor(t, time.Minute, "the copies were not all seen as duplicates", func() bool { return fn.outcomes()["duplicate"] >= n+len(copies)-1 })

	fn.stop(t)
	after := objects(t, storage, "ztf_")
	if len(after) != n+1 {
		t.Errorf("%d alert objects, want %d", len(after), n+1)
	}
	for name, o := range first {
		if after[name].Generation != o.Generation {
			t.Errorf("%s rewritten", name)
		}
	}
	want := map[string]int{"stored": n + 1, "duplicate": n + len(copies) - 1, "quarantined": 1}
	if got := fn.outcomes(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("logged outcomes %v, want %v", got, want)
	}
}
