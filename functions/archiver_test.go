package functions_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/storage"
	"google.golang.org/api/iterator"

	"github.com/ztfbridge/ztfbridge/functions"
	"github.com/ztfbridge/ztfbridge/internal/core/alert/alerttest"
	"github.com/ztfbridge/ztfbridge/internal/core/attr"
	"github.com/ztfbridge/ztfbridge/internal/core/deps"
	"github.com/ztfbridge/ztfbridge/internal/core/message"
	"github.com/ztfbridge/ztfbridge/internal/core/night"
	"github.com/ztfbridge/ztfbridge/internal/dev/stack"
	"github.com/ztfbridge/ztfbridge/internal/dev/stack/stacktest"
	"github.com/ztfbridge/ztfbridge/internal/dev/synth"
)

const bucket = "alerts"

// testNight is the night of the synthetic alerts.
var testNight = night.Of(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))

func TestMain(m *testing.M) {
	if addr := os.Getenv(serveAddrEnv); addr != "" {
		os.Exit(serve(addr))
	}
	stacktest.Main(m)
}

// newArchiver returns an Archiver writing to a fresh fake-gcs-server and a
// client of that server for checking what it wrote.
func newArchiver(t *testing.T, cfg functions.Config) (*functions.Archiver, *storage.Client, *stack.GCS) {
	t.Helper()
	g := stacktest.GCS(t, bucket)
	if cfg.Bucket == "" {
		cfg.Bucket = bucket
	}
	a, err := functions.New(t.Context(), cfg, deps.WithLogger(discard()), deps.WithStorageOptions(g.ClientOptions()...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	c, err := g.Client(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return a, c, g
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// synthetic returns n synthetic messages of testNight as the connector
// publishes them: Kafka coordinates in the attributes.
func synthetic(t testing.TB, n int) ([]functions.Message, []synth.Packet) {
	t.Helper()
	g, err := synth.New(synth.Config{Night: testNight, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	msgs := make([]functions.Message, n)
	pkts := make([]synth.Packet, n)
	for i := range n {
		p, err := g.Next()
		if err != nil {
			t.Fatal(err)
		}
		a := map[string]string{}
		attr.Kafka{Topic: testNight.Topic(), Partition: int32(i % 3), Offset: int64(i), Timestamp: testNight.Time().Add(time.Hour)}.Set(a)
		msgs[i] = functions.Message{ID: "m" + strconv.Itoa(i), Data: p.Data, Attributes: a}
		pkts[i] = p
	}
	return msgs, pkts
}

// objects returns the attributes of every object in the bucket, by name.
func objects(t *testing.T, c *storage.Client, prefix string) map[string]*storage.ObjectAttrs {
	t.Helper()
	got := map[string]*storage.ObjectAttrs{}
	it := c.Bucket(bucket).Objects(t.Context(), &storage.Query{Prefix: prefix})
	for {
		o, err := it.Next()
		if errors.Is(err, iterator.Done) {
			return got
		}
		if err != nil {
			t.Fatal(err)
		}
		got[o.Name] = o
	}
}

func read(t *testing.T, c *storage.Client, name string) []byte {
	t.Helper()
	r, err := c.Bucket(bucket).Object(name).NewReader(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestStoreAndReplay stores N alerts, then delivers the same N again as the
// 10am replay does: still N objects, untouched, and N duplicates counted.
func TestStoreAndReplay(t *testing.T) {
	const n = 25
	a, c, _ := newArchiver(t, functions.DefaultConfig())
	msgs, pkts := synthetic(t, n)
	for _, m := range msgs {
		res, err := a.Store(t.Context(), m)
		if err != nil || res.Outcome != functions.Stored {
			t.Fatalf("Store(%s) = %+v, %v; want stored", m.ID, res, err)
		}
	}
	first := objects(t, c, "")
	if len(first) != n {
		t.Fatalf("%d objects after %d alerts, want %d", len(first), n, n)
	}
	for i, p := range pkts {
		name := night.ObjectName(testNight.Topic(), p.Candid)
		o, ok := first[name]
		if !ok {
			t.Fatalf("no object %s", name)
		}
		want := map[string]string{
			"objectId":         p.Alert.ObjectID,
			"candid":           strconv.FormatInt(p.Candid, 10),
			"ra":               strconv.FormatFloat(p.Alert.Candidate.RA, 'f', -1, 64),
			"dec":              strconv.FormatFloat(p.Alert.Candidate.Dec, 'f', -1, 64),
			"schemavsn":        p.Alert.SchemaVsn,
			"night":            testNight.String(),
			"kafka.topic":      testNight.Topic(),
			"kafka.partition":  strconv.Itoa(i % 3),
			"kafka.offset":     strconv.Itoa(i),
			"kafka.timestamp":  strconv.FormatInt(testNight.Time().Add(time.Hour).UnixMilli(), 10),
			"pubsub.messageId": "m" + strconv.Itoa(i),
		}
		if !maps.Equal(o.Metadata, want) {
			t.Errorf("%s metadata = %v, want %v", name, o.Metadata, want)
		}
		if o.ContentType != functions.ContentType {
			t.Errorf("%s content type %q, want %q", name, o.ContentType, functions.ContentType)
		}
	}
	if name := night.ObjectName(testNight.Topic(), pkts[0].Candid); !bytes.Equal(read(t, c, name), msgs[0].Data) {
		t.Errorf("%s does not hold the message data unchanged", name)
	}

	for _, m := range msgs {
		m.ID += "-replay"
		res, err := a.Store(t.Context(), m)
		if err != nil || res.Outcome != functions.Duplicate {
			t.Fatalf("replayed Store(%s) = %+v, %v; want duplicate", m.ID, res, err)
		}
	}
	again := objects(t, c, "")
	if len(again) != n {
		t.Errorf("%d objects after the replay, want %d", len(again), n)
	}
	for name, o := range again {
		if o.Generation != first[name].Generation || strings.HasSuffix(o.Metadata["pubsub.messageId"], "-replay") {
			t.Errorf("%s was rewritten by the replay", name)
		}
	}
	if got, want := a.Outcomes(), (functions.Outcomes{Stored: n, Duplicates: n}); got != want {
		t.Errorf("Outcomes() = %+v, want %+v", got, want)
	}
}

// TestObjectNames checks where alerts land for each source of the night:
// the kafka.topic attribute, the packet when the attribute is missing, and
// the prefix template.
func TestObjectNames(t *testing.T) {
	msgs, pkts := synthetic(t, 1)
	m, candid := msgs[0], strconv.FormatInt(pkts[0].Candid, 10)
	withTopic := func(topic string) map[string]string {
		a := map[string]string{}
		attr.Kafka{Topic: topic, Partition: 0, Offset: 7}.Set(a)
		return a
	}
	tests := []struct {
		name   string
		prefix string
		attrs  map[string]string
		want   string
	}{
		{"topic attribute", "", m.Attributes, "ztf_20240101_programid1_" + candid + ".avro"},
		{"no attributes: night from the packet", "", nil, "ztf_20240101_programid1_" + candid + ".avro"},
		{"topic attribute wins over the packet", "", withTopic("ztf_20231231_programid1"), "ztf_20231231_programid1_" + candid + ".avro"},
		{"prefix template", "{year}/{month}/{day}/{night}/", m.Attributes, "2024/01/01/20240101/ztf_20240101_programid1_" + candid + ".avro"},
		{"topic placeholder", "by-topic/{topic}/", nil, "by-topic/ztf_20240101_programid1/ztf_20240101_programid1_" + candid + ".avro"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := functions.DefaultConfig()
			cfg.Prefix = tt.prefix
			a, c, _ := newArchiver(t, cfg)
			res, err := a.Store(t.Context(), functions.Message{ID: "1", Data: m.Data, Attributes: tt.attrs})
			if err != nil {
				t.Fatal(err)
			}
			if res.Object != tt.want {
				t.Errorf("object %q, want %q", res.Object, tt.want)
			}
			if got := slices.Sorted(maps.Keys(objects(t, c, ""))); !slices.Equal(got, []string{tt.want}) {
				t.Errorf("bucket holds %v, want [%s]", got, tt.want)
			}
		})
	}
}

// TestRealAlerts stores every real ZTF packet of the shared set that is
// one alert, each named for the night it reports.
func TestRealAlerts(t *testing.T) {
	a, c, _ := newArchiver(t, functions.DefaultConfig())
	want := map[string]bool{}
	for _, e := range alerttest.Manifest(t) {
		if e.Class != "ztf-real" || e.Records != 1 {
			continue
		}
		res, err := a.Store(t.Context(), functions.Message{ID: e.Path, Data: e.Read(t)})
		if err != nil {
			t.Fatal(err)
		}
		nightOf, err := time.Parse(time.DateOnly, e.Night)
		if err != nil {
			t.Fatalf("%s: night %q: %v", e.Path, e.Night, err)
		}
		name := night.ObjectName(night.Of(nightOf).Topic(), e.Candids[0])
		if res.Object != name {
			t.Errorf("%s stored as %s, want %s", e.Path, res.Object, name)
		}
		want[name] = true
	}
	if len(want) == 0 {
		t.Fatal("no real single-alert packets in the manifest")
	}
	got := objects(t, c, "")
	if len(got) != len(want) {
		t.Errorf("%d objects for %d distinct real alerts", len(got), len(want))
	}
}

// TestConcurrentDuplicates races deliveries of one alert on two Archivers
// (two function instances) sharing a bucket: one creates the object, all
// the others find it.
func TestConcurrentDuplicates(t *testing.T) {
	const racers = 16
	a1, c, g := newArchiver(t, functions.DefaultConfig())
	a2, err := functions.New(t.Context(), functions.Config{Bucket: bucket, QuarantinePrefix: "quarantine/"}, deps.WithLogger(discard()), deps.WithStorageOptions(g.ClientOptions()...))
	if err != nil {
		t.Fatal(err)
	}
	defer a2.Close()
	msgs, _ := synthetic(t, 1)
	outcomes := make([]functions.Outcome, racers)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range racers {
		wg.Go(func() {
			<-start
			a := a1
			if i%2 == 1 {
				a = a2
			}
			res, err := a.Store(t.Context(), msgs[0])
			if err != nil {
				t.Error(err)
			}
			outcomes[i] = res.Outcome
		})
	}
	close(start)
	wg.Wait()
	stored := 0
	for _, o := range outcomes {
		if o == functions.Stored {
			stored++
		} else if o != functions.Duplicate {
			t.Errorf("outcome %v, want stored or duplicate", o)
		}
	}
	if stored != 1 {
		t.Errorf("%d deliveries created the object, want exactly 1", stored)
	}
	if n := len(objects(t, c, "")); n != 1 {
		t.Errorf("%d objects after %d racing deliveries, want 1", n, racers)
	}
	total := a1.Outcomes().Stored + a2.Outcomes().Stored + a1.Outcomes().Duplicates + a2.Outcomes().Duplicates
	if total != racers {
		t.Errorf("counted %d outcomes, want %d", total, racers)
	}
}

// TestQuarantine delivers messages that are not alerts: each is kept whole
// under quarantine/ with its reason, acknowledged, and a redelivery writes
// nothing more.
func TestQuarantine(t *testing.T) {
	broken := map[string][]byte{}
	multi := []byte(nil)
	for _, e := range alerttest.Manifest(t) {
		switch {
		case e.Broken():
			if kind, _, _ := strings.Cut(e.Class, "("); broken[kind] == nil {
				broken[kind] = e.Read(t)
			}
		case e.Records > 1 && multi == nil:
			multi = e.Read(t)
		}
	}
	good, _ := synthetic(t, 1)
	type refused struct {
		name   string
		data   []byte
		attrs  map[string]string
		reason string // substring of the recorded reason
	}
	tests := []refused{
		{"not Avro", []byte("hello, not an alert"), good[0].Attributes, "undecodable"},
		{"empty", nil, nil, "undecodable"},
		{"truncated packet", good[0].Data[:len(good[0].Data)/2], good[0].Attributes, "undecodable"},
		{"container of several alerts", multi, nil, "want 1"},
	}
	for kind, data := range broken {
		tests = append(tests, refused{"shared set " + kind, data, nil, "undecodable"})
	}
	_, poison, err := synth.GeneratePoisoned(synth.Config{Night: testNight, Seed: 9}, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range poison {
		tests = append(tests, refused{p.Name, p.Data, good[0].Attributes, p.Reason + ": "})
	}
	a, c, _ := newArchiver(t, functions.DefaultConfig())
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := functions.Message{ID: "q" + strconv.Itoa(i), Data: tt.data, Attributes: tt.attrs}
			res, err := a.Store(t.Context(), m)
			if err != nil {
				t.Fatalf("Store = %v; a message that is not an alert must be acknowledged", err)
			}
			if res.Outcome != functions.Quarantined || !strings.HasPrefix(res.Object, "quarantine/") {
				t.Fatalf("Store = %+v, want quarantined under quarantine/", res)
			}
			o := objects(t, c, res.Object)[res.Object]
			if o == nil {
				t.Fatalf("no object %s", res.Object)
			}
			if r := o.Metadata[attr.Error]; !strings.Contains(r, tt.reason) || r != res.Reason {
				t.Errorf("recorded reason %q, want it to contain %q and equal %q", r, tt.reason, res.Reason)
			}
			if r := o.Metadata[attr.Reason]; !strings.HasPrefix(res.Reason, r+": ") || !slices.Contains(message.Reasons(), message.Reason(r)) {
				t.Errorf("recorded reason code %q for %q", r, res.Reason)
			}
			if o.Metadata["pubsub.messageId"] != m.ID {
				t.Errorf("message id %q, want %q", o.Metadata["pubsub.messageId"], m.ID)
			}
			for k, v := range tt.attrs {
				if o.Metadata[k] != v {
					t.Errorf("attribute %s=%q kept as %q", k, v, o.Metadata[k])
				}
			}
			if !bytes.Equal(read(t, c, res.Object), tt.data) {
				t.Error("quarantined object does not hold the message data")
			}
			again, err := a.Store(t.Context(), m)
			if err != nil || again.Outcome != functions.Duplicate || again.Object != res.Object {
				t.Errorf("redelivery = %+v, %v; want a duplicate of %s", again, err, res.Object)
			}
		})
	}
	if got := len(objects(t, c, "")); got != len(tests) {
		t.Errorf("%d objects for %d distinct bad messages", got, len(tests))
	}
	if n := len(objects(t, c, "ztf_")); n != 0 {
		t.Errorf("%d bad messages stored as alerts", n)
	}
}

// TestGCSFailureIsRetried checks that a message is not acknowledged when
// GCS cannot store it.
func TestGCSFailureIsRetried(t *testing.T) {
	tests := []struct {
		name       string
		breakStore func(g *stack.GCS) string // breaks the store, returns the bucket to use
	}{
		{"server down", func(g *stack.GCS) string { g.Close(); return bucket }},
		{"no such bucket", func(*stack.GCS) string { return "missing" }},
	}
	msgs, _ := synthetic(t, 1)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := stacktest.GCS(t, bucket)
			cfg := functions.DefaultConfig()
			cfg.Bucket = tt.breakStore(g)
			a, err := functions.New(t.Context(), cfg, deps.WithLogger(discard()), deps.WithStorageOptions(g.ClientOptions()...))
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
			defer cancel()
			if res, err := a.Store(ctx, msgs[0]); err == nil {
				t.Errorf("Store = %+v, nil; want an error so that Pub/Sub redelivers", res)
			}
			if c := a.Outcomes(); c != (functions.Outcomes{}) {
				t.Errorf("Outcomes() = %+v after a failure, want zero", c)
			}
		})
	}
}

// TestClose checks that Close lets no new message in.
func TestClose(t *testing.T) {
	a, _, _ := newArchiver(t, functions.DefaultConfig())
	msgs, _ := synthetic(t, 1)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Store(t.Context(), msgs[0]); !errors.Is(err, functions.ErrClosed) {
		t.Errorf("Store after Close = %v, want ErrClosed", err)
	}
}

// TestNamesFromValidatedValues delivers a good alert with attributes that
// are not the connector's: the object is named from the packet's candid
// and night, never from a raw attribute, and the quarantine folder of a bad
// message is never a path a raw attribute chose.
func TestNamesFromValidatedValues(t *testing.T) {
	msgs, pkts := synthetic(t, 1)
	want := night.ObjectName(testNight.Topic(), pkts[0].Candid)
	tests := []struct {
		name   string
		attrs  map[string]string
		object string
	}{
		{"path in kafka.topic", map[string]string{attr.KafkaTopic: "../../etc/passwd"}, want},
		{"night topic with a slash", map[string]string{attr.KafkaTopic: "ztf_2024/../_programid1"}, want},
		{"another night's topic", map[string]string{attr.KafkaTopic: "ztf_20240102_programid1"}, night.ObjectName("ztf_20240102_programid1", pkts[0].Candid)},
		{"malformed offset", map[string]string{attr.KafkaTopic: testNight.Topic(), attr.KafkaOffset: "seven"}, want},
		{"no attributes", nil, want},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, _, _ := newArchiver(t, functions.Config{Bucket: bucket, Prefix: "{topic}/", QuarantinePrefix: "quarantine/"})
			res, err := a.Store(t.Context(), functions.Message{ID: strconv.Itoa(i), Data: msgs[0].Data, Attributes: tt.attrs})
			if err != nil || res.Outcome != functions.Stored {
				t.Fatalf("Store = %+v, %v", res, err)
			}
			topic, _, _ := strings.Cut(tt.object, "_"+strconv.FormatInt(pkts[0].Candid, 10))
			if res.Object != topic+"/"+tt.object {
				t.Errorf("object %q, want %q", res.Object, topic+"/"+tt.object)
			}
			q, err := a.Store(t.Context(), functions.Message{ID: "q" + strconv.Itoa(i), Data: []byte("junk"), Attributes: tt.attrs})
			if err != nil || q.Outcome != functions.Quarantined {
				t.Fatalf("Store(junk) = %+v, %v", q, err)
			}
			if dir := strings.TrimPrefix(q.Object, "quarantine/"); strings.Count(dir, "/") != 1 || strings.Contains(dir, "..") {
				t.Errorf("quarantine object %q", q.Object)
			}
		})
	}
}
