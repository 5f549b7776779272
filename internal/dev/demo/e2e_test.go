package demo

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"cloud.google.com/go/bigquery"
	"google.golang.org/api/iterator"

	"github.com/ztfbridge/ztfbridge/bqloader"
	"github.com/ztfbridge/ztfbridge/internal/core/night"
	"github.com/ztfbridge/ztfbridge/internal/dev/simulate"
	"github.com/ztfbridge/ztfbridge/internal/dev/stack"
	"github.com/ztfbridge/ztfbridge/internal/dev/stack/stacktest"
	"github.com/ztfbridge/ztfbridge/internal/dev/synth"
	"github.com/ztfbridge/ztfbridge/internal/ops/nightcount"
)

// TestPipelineSurvivesKill runs the whole pipeline on the local stack: a
// night and its 10am replay produced into Kafka, the connector as a real
// "ztfbridge connect" process killed with SIGKILL mid-night and started
// again, the function and the loader in this process. Every alert must
// end up exactly once in GCS and in BigQuery's analysts' view.
func TestPipelineSurvivesKill(t *testing.T) {
	const alerts = 600
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	bin := stacktest.Command(t, "ztfbridge")

	cfg := DefaultConfig()
	cfg.Night = night.Of(time.Date(2024, 7, 15, 0, 0, 0, 0, time.UTC))
	cfg.Partitions = 4
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	s, err := StartStack(ctx, log, io.Discard, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	n, topic := cfg.Names, cfg.Night.Topic()
	if err := s.Kafka.CreateTopic(ctx, topic, cfg.Partitions); err != nil {
		t.Fatal(err)
	}
	p, err := startPipeline(ctx, s, n, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.stop() })

	metricsAddr, err := stack.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	connect := func() *exec.Cmd {
		cmd := exec.Command(bin, "connect", "--topic", topic, "--group", n.Group,
			"--counts-bucket", n.Bucket, "--counts-interval", "1s", "--metrics-addr", metricsAddr)
		cmd.Env = append(os.Environ(), s.Env()...)
		cmd.Stderr = testWriter{t}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	first := connect()
	t.Cleanup(func() { _ = first.Process.Kill() })

	// Produce the night at 100 alerts/s, then the replay.
	src := simulate.Generated(synth.Config{Night: cfg.Night, Seed: 7}, alerts)
	produced := make(chan error, 1)
	go func() {
		sp, err := simulate.Run(ctx, simulate.Config{Brokers: s.Kafka.Addrs(), Topic: topic, Rate: 100, Replay: true}, src)
		if err == nil && sp.Produced != 2*alerts {
			err = fmt.Errorf("produced %d messages, want %d", sp.Produced, 2*alerts)
		}
		produced <- err
	}()

	// Mid-night: once the first connector has published a fifth of the
	// night, kill -9 it and start another.
	for published := int64(0); published < alerts/5; {
		select {
		case <-ctx.Done():
			t.Fatalf("the connector published %d alerts before the deadline", published)
		case <-time.After(100 * time.Millisecond):
		}
		published, _ = scrape(metricsAddr, "ztfbridge_connector_published_total")
	}
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := first.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("connector after SIGKILL: %v", err)
	}
	kafkaOnly := nightcount.DefaultConfig()
	kafkaOnly.Brokers = s.Kafka.Addrs()
	before, err := nightcount.Count(ctx, kafkaOnly, cfg.Night)
	if err != nil {
		t.Fatal(err)
	}
	inKafka := *before.KafkaMessages
	t.Logf("killed the connector with %d of %d messages in Kafka", inKafka, 2*alerts)
	if inKafka >= alerts {
		t.Errorf("the kill came after the night (%d messages in Kafka): not mid-night", inKafka)
	}
	second := connect()
	t.Cleanup(func() { _ = second.Process.Kill() })

	if err := <-produced; err != nil {
		t.Fatal(err)
	}
	if !newProgress(testWriter{t}, p).waitQuiet(ctx, alerts, 3*time.Second, 3*time.Minute) {
		t.Error("the pipeline did not finish in 3 minutes")
	}
	if err := second.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := second.Wait(); err != nil {
		t.Errorf("connector after SIGTERM: %v", err)
	}
	if err := p.stop(); err != nil {
		t.Logf("stopping the function and the loader: %v", err)
	}

	counts, err := Count(ctx, s, n, cfg.Night)
	if err != nil {
		t.Fatal(err)
	}
	r := Judge(alerts, 2*alerts, counts)
	t.Log(r.Summary)
	if !r.OK {
		t.Errorf("lost or duplicated: %s", r.Summary)
	}

	// Not only the counts: the very candids produced, once each.
	var want []int64
	packets, err := synth.Generate(synth.Config{Night: cfg.Night, Seed: 7}, alerts)
	if err != nil {
		t.Fatal(err)
	}
	for _, pk := range packets {
		want = append(want, pk.Candid)
	}
	slices.Sort(want)
	if got := gcsCandids(ctx, t, s, n.Bucket, topic); !slices.Equal(got, want) {
		t.Errorf("GCS holds %d objects of the night, not the %d candids produced", len(got), len(want))
	}
	if got := viewCandids(ctx, t, s, n.Dataset, cfg.Night); !slices.Equal(got, want) {
		t.Errorf("the alerts view holds %d rows, not the %d candids produced, once each", len(got), len(want))
	}
}

// scrape reads the value of an unlabelled metric from a Prometheus
// endpoint.
func scrape(addr, name string) (int64, error) {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			return int64(f), err
		}
	}
	return 0, errors.Join(sc.Err(), fmt.Errorf("no metric %s", name))
}

// gcsCandids returns the candids of the night's alert objects, sorted.
func gcsCandids(ctx context.Context, t *testing.T, s *stack.Stack, bucket, topic string) []int64 {
	t.Helper()
	c, err := s.GCS.Client(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	candids, strays, err := nightcount.ObjectCandids(ctx, c.Bucket(bucket), topic)
	if err != nil {
		t.Fatal(err)
	}
	if len(strays) > 0 {
		t.Errorf("objects %q are not named by a candid", strays)
	}
	return candids
}

// viewCandids returns the candids of the night's rows in the alerts view,
// sorted, a candid twice if the view has it twice.
func viewCandids(ctx context.Context, t *testing.T, s *stack.Stack, dataset string, day night.Night) []int64 {
	t.Helper()
	c, err := s.BigQuery.Client(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sql := fmt.Sprintf("SELECT candid FROM `%s.%s.%s` WHERE night = DATE '%s' ORDER BY candid",
		s.BigQuery.Project, dataset, bqloader.AlertsView, day.Civil())
	it, err := c.Query(sql).Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var candids []int64
	for {
		var row []bigquery.Value
		err := it.Next(&row)
		if errors.Is(err, iterator.Done) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		candids = append(candids, row[0].(int64))
	}
	return candids
}

// testWriter sends what is written to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}
func TestMain(m *testing.M) { stacktest.Main(m) }
