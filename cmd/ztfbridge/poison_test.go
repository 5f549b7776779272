package main

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"cloud.google.com/go/bigquery"
	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"cloud.google.com/go/storage"
	"github.com/IBM/sarama"
	"google.golang.org/api/iterator"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/ztfbridge/ztfbridge/internal/core/alert/alerttest"
	"github.com/ztfbridge/ztfbridge/internal/core/attr"
	"github.com/ztfbridge/ztfbridge/internal/core/message"
	"github.com/ztfbridge/ztfbridge/internal/core/night"
	"github.com/ztfbridge/ztfbridge/internal/dev/simulate"
	"github.com/ztfbridge/ztfbridge/internal/dev/stack"
	"github.com/ztfbridge/ztfbridge/internal/dev/stack/stacktest"
	"github.com/ztfbridge/ztfbridge/internal/dev/synth"
	"github.com/ztfbridge/ztfbridge/internal/ops/nightcount"
)

// TestPoisonThroughRealProcesses runs the pipeline as an operator does:
// "ztfbridge-dev up", then "connect", "serve-function" behind a push
// subscription and "load", each its own process. Into one partition go
// good alerts (synthetic, and the real packets of every version) with
// every kind of bad message between them. Every good alert must reach GCS
// and BigQuery once, every bad one the dead-letter topic with its reason,
// and the group's committed offset the end of the partition.
func TestPoisonThroughRealProcesses(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	deadline, _ := ctx.Deadline()
	tonight := night.Of(time.Date(2024, 7, 16, 0, 0, 0, 0, time.UTC))
	topic := tonight.Topic()
	msgs, good, bad := poisonedNight(t, tonight)

	bin := stacktest.Command(t, "ztfbridge")
	dir := t.TempDir()
	envFile := filepath.Join(dir, "stack.env")
	up := startProcess(t, stacktest.Command(t, "ztfbridge-dev"), nil, "up", "--env-file", envFile, "--kafka-port=0", "--pubsub-port=0", "--gcs-port=0",
		"--gcs-https-port=0", "--bigquery-port=0", "--bigquery-grpc-port=0", "--kafka-partitions=1", "--kafka-topics="+topic)
	var exports string
	stacktest.WaitFor(t, time.Until(deadline), "ztfbridge-dev up wrote no export lines", func() bool {
		b, err := os.ReadFile(envFile)
		exports = string(b)
		return err == nil && strings.Contains(exports, "# With these exported")
	})
	vars := stack.ReadShell(exports)
	var env []string
	for _, name := range []string{"ZTFBRIDGE_BROKERS", "PUBSUB_EMULATOR_HOST", "STORAGE_EMULATOR_HOST", "ZTFBRIDGE_BIGQUERY_API",
		"ZTFBRIDGE_BIGQUERY_STORAGE_API", "ZTFBRIDGE_PROJECT", "ZTFBRIDGE_PUBSUB_PROJECT", "PUBSUB_PROJECT_ID"} {
		env = append(env, name+"="+vars[name])
	}
	get := func(name string) string { return vars[name] }
	project := get("ZTFBRIDGE_PROJECT")

	// The operator's subscriptions: a hold on the dead letters, and the
	// function's push subscription.
	psc, err := pubsub.NewClient(ctx, project, option.WithEndpoint(get("PUBSUB_EMULATOR_HOST")), option.WithoutAuthentication(),
		option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())))
	if err != nil {
		t.Fatal(err)
	}
	defer psc.Close()
	fnAddr := stacktest.FreeAddr(t)
	_, fnPort, _ := net.SplitHostPort(fnAddr)
	function := startProcess(t, bin, env, "serve-function", "--bucket", "ztf-alerts", "--port", fnPort)
	stacktest.WaitListening(t, time.Until(deadline), fnAddr)
	topicName := func(id string) string { return "projects/" + project + "/topics/" + id }
	for _, s := range []*pubsubpb.Subscription{
		{Name: "projects/" + project + "/subscriptions/hold", Topic: topicName("ztf-alerts-deadletter")},
		{Name: "projects/" + project + "/subscriptions/function", Topic: topicName("ztf-alerts"),
			PushConfig: &pubsubpb.PushConfig{PushEndpoint: "http://" + fnAddr + "/" + topicName("ztf-alerts")}},
	} {
		if _, err := psc.SubscriptionAdminClient.CreateSubscription(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	loadMetrics := stacktest.FreeAddr(t)
	load := startProcess(t, bin, env, "load", "--create-resources", "--metrics-addr", loadMetrics)
	stacktest.WaitListening(t, time.Until(deadline), loadMetrics)
	connect := startProcess(t, bin, env, "connect", "--topic", topic, "--group", "poison", "--metrics-addr", "", "--commit-interval", "200ms")

	brokers := strings.Split(get("ZTFBRIDGE_BROKERS"), ",")
	if _, err := simulate.Run(ctx, simulate.Config{Brokers: brokers, Topic: topic}, simulate.Packets(msgs)); err != nil {
		t.Fatal(err)
	}

	dead := &heldMessages{}
	go func() {
		_ = psc.Subscriber("hold").Receive(ctx, func(_ context.Context, m *pubsub.Message) {
			dead.add(m.Attributes)
			m.Ack()
		})
	}()
	gcs, err := storage.NewClient(ctx, option.WithEndpoint(get("STORAGE_EMULATOR_HOST")+"/storage/v1/"), option.WithoutAuthentication())
	if err != nil {
		t.Fatal(err)
	}
	defer gcs.Close()
	bq, err := bigquery.NewClient(ctx, project, option.WithEndpoint(get("ZTFBRIDGE_BIGQUERY_API")), option.WithoutAuthentication())
	if err != nil {
		t.Fatal(err)
	}
	defer bq.Close()

	admin := stacktest.KafkaAdmin(t, brokers)
	var stored, loaded []int64
	stacktest.WaitFor(t, time.Until(deadline), "not every alert stored and loaded, every bad message dead-lettered and the partition committed", func() bool {
		stored, loaded = objectCandids(ctx, t, gcs.Bucket("ztf-alerts"), topic), rowCandids(ctx, t, bq, project)
		return len(stored) >= len(good) && len(loaded) >= len(good) && dead.len() >= len(bad) &&
			committed(t, admin, "poison", topic) == int64(len(msgs))
	})
	t.Logf("%d messages in one partition: %d good alerts (%d distinct) in GCS and BigQuery, %d dead letters; committed to %d",
		len(msgs), len(msgs)-len(bad), len(good), dead.len(), len(msgs))
	if !slices.Equal(stored, good) {
		t.Errorf("GCS holds %d alert objects, want the %d good candids once each", len(stored), len(good))
	}
	if !slices.Equal(loaded, good) {
		t.Errorf("BigQuery's alerts view holds %d rows, want the %d good candids once each", len(loaded), len(good))
	}
	for offset, reason := range bad {
		if got := dead.reasonAt(offset); got != reason {
			t.Errorf("offset %d: dead letter reason %q, want %q", offset, got, reason)
		}
	}
	if dead.len() != len(bad) {
		t.Errorf("%d dead letters, want %d", dead.len(), len(bad))
	}
	for _, p := range []*exec.Cmd{connect, load, function, up} {
		if err := p.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if err := p.Wait(); err != nil {
			t.Errorf("%s after SIGTERM: %v", p.Args[1], err)
		}
	}
}

// poisonedNight returns a night's messages in order: good alerts with
// every kind of bad message between them, the good candids (sorted,
// distinct) and the reason each bad message's offset must be refused for.
func poisonedNight(t *testing.T, tonight night.Night) (msgs [][]byte, good []int64, bad map[int64]message.Reason) {
	t.Helper()
	packets, poison, err := synth.GeneratePoisoned(synth.Config{Night: tonight, Seed: 5}, 40)
	if err != nil {
		t.Fatal(err)
	}
	var alerts [][]byte
	for _, p := range packets {
		alerts = append(alerts, p.Data)
		good = append(good, p.Candid)
	}
	type refused struct {
		data   []byte
		reason message.Reason
	}
	var bads []refused
	for _, p := range poison {
		bads = append(bads, refused{p.Data, message.Reason(p.Reason)})
	}
	for _, e := range alerttest.Manifest(t) {
		switch {
		case e.Broken():
			bads = append(bads, refused{e.Read(t), message.Undecodable})
		case e.Records == 1 && e.Candids[0] > 0 && len(e.ObjectIDs) > 0:
			alerts = append(alerts, e.Read(t))
			good = append(good, e.Candids[0])
		}
	}
	bad = map[int64]message.Reason{}
	for i, a := range alerts {
		msgs = append(msgs, a)
		if i < len(bads) {
			bad[int64(len(msgs))] = bads[i].reason
			msgs = append(msgs, bads[i].data)
		}
	}
	slices.Sort(good)
	return msgs, slices.Compact(good), bad
}

// heldMessages are the attributes of the dead letters received.
type heldMessages struct {
	mu    sync.Mutex
	attrs []map[string]string
}

func (h *heldMessages) add(a map[string]string) {
	h.mu.Lock()
	h.attrs = append(h.attrs, a)
	h.mu.Unlock()
}
func (h *heldMessages) len() int { h.mu.Lock(); defer h.mu.Unlock(); return len(h.attrs) }

// reasonAt returns the reason of the dead letter of Kafka offset o.
func (h *heldMessages) reasonAt(o int64) message.Reason {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, a := range h.attrs {
		if a[attr.KafkaOffset] == strconv.FormatInt(o, 10) {
			return message.ReasonOf(a)
		}
	}
	return ""
}

// objectCandids returns the candids of topic's alert objects in bucket,
// sorted; an object there not named by a candid fails t.
func objectCandids(ctx context.Context, t *testing.T, bucket *storage.BucketHandle, topic string) []int64 {
	t.Helper()
	candids, strays, err := nightcount.ObjectCandids(ctx, bucket, topic)
	if err != nil {
		t.Fatal(err)
	}
	if len(strays) > 0 {
		t.Errorf("objects %q are not named by a candid", strays)
	}
	return candids
}

// rowCandids returns the candids of the alerts view, sorted, a candid
// twice if the view has it twice; nil before the loader made the view.
func rowCandids(ctx context.Context, t *testing.T, c *bigquery.Client, project string) []int64 {
	t.Helper()
	it, err := c.Query("SELECT candid FROM `" + project + ".ztf.alerts` ORDER BY candid").Read(ctx)
	if err != nil {
		t.Logf("alerts view: %v", err)
		return nil
	}
	var out []int64
	for {
		var row []bigquery.Value
		err := it.Next(&row)
		if errors.Is(err, iterator.Done) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, row[0].(int64))
	}
}

// committed returns the group's committed offset of partition 0 of topic.
func committed(t *testing.T, admin sarama.ClusterAdmin, group, topic string) int64 {
	t.Helper()
	r, err := admin.ListConsumerGroupOffsets(group, map[string][]int32{topic: {0}})
	if err != nil {
		t.Fatal(err)
	}
	if b := r.GetBlock(topic, 0); b != nil {
		return b.Offset
	}
	return -1
}

// startProcess starts the ztfbridge binary with args and env added to the
// test's environment, its logs in the test log; killed if still running
// when the test ends.
func startProcess(t *testing.T, bin string, env []string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = testLog{t, args[0]}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return cmd
}

// testLog writes a process's output to the test log.
type testLog struct {
	t    *testing.T
	name string
}

func (l testLog) Write(p []byte) (int, error) {
	l.t.Logf("%s: %s", l.name, strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

func TestMain(m *testing.M) { stacktest.Main(m) }
