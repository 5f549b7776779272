// Package functionbench measures the Cloud Function's throughput on the
// local stack against the storage client alone.
//
// Run starts fake-gcs-server in-process and the function under the
// functions framework (functions.Serve), generates synthetic alerts, and
// times the same work four ways against the same server:
//
//   - raw: W goroutines writing the objects with the storage client, as
//     the function writes them (same names, write-once precondition,
//     content type and metadata), and nothing else;
//   - function: W goroutines POSTing the Pub/Sub push requests of the same
//     alerts to the function, each answered once the object is stored
//     (framework, CloudEvent conversion, Avro decoding, upload, logging);
//   - replay: the same requests again, all duplicates, as at 10am;
//   - emulator push: other alerts published to gcloud's Pub/Sub emulator,
//     whose push subscription feeds the function, timed from the first
//     publish to the last object (skipped with Options.NoPubSub).
//
// The ratio of each rate to the raw rate is the function's cost over the
// client it is built on. Absolute rates depend on the machine: the fake
// server and the emulator share its CPUs with the function.
package functionbench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/storage"

	"github.com/ztfbridge/ztfbridge/functions"
	"github.com/ztfbridge/ztfbridge/internal/attr"
	"github.com/ztfbridge/ztfbridge/internal/logging"
	"github.com/ztfbridge/ztfbridge/internal/night"
	"github.com/ztfbridge/ztfbridge/internal/stack"
	"github.com/ztfbridge/ztfbridge/internal/synth"
)

// Options says how much to measure. The zero value of a field takes its
// default.
type Options struct {
	Alerts   int       // alerts per measurement (default 2000)
	Workers  int       // concurrent writers or requests (default 16)
	Night    time.Time // night of the synthetic alerts (default 2024-01-01)
	NoPubSub bool      // skip the emulator push measurement
}

func (o Options) withDefaults() Options {
	if o.Alerts <= 0 {
		o.Alerts = 2000
	}
	if o.Workers <= 0 {
		o.Workers = 16
	}
	if o.Night.IsZero() {
		o.Night = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return o
}

// Rate is one timed run.
type Rate struct {
	Name    string
	Objects int // objects written (or, for the replay, found)
	Elapsed time.Duration
}

// PerSecond returns objects per second.
func (r Rate) PerSecond() float64 { return float64(r.Objects) / r.Elapsed.Seconds() }

// Report is the result of Run: Rates[0] is the raw client's.
type Report struct {
	Alerts    int
	MeanBytes int
	Workers   int
	Rates     []Rate
}

// Print writes the report as a table with each rate's ratio to the raw one.
func (r Report) Print(w io.Writer) {
	fmt.Fprintf(w, "%d synthetic alerts of %d bytes on average, %d concurrent writers or requests, local fake-gcs-server\n\n",
		r.Alerts, r.MeanBytes, r.Workers)
	fmt.Fprintf(w, "%-34s %8s %10s %12s %8s\n", "", "objects", "seconds", "objects/s", "vs raw")
	for _, rate := range r.Rates {
		fmt.Fprintf(w, "%-34s %8d %10.2f %12.0f %8.2f\n",
			rate.Name, rate.Objects, rate.Elapsed.Seconds(), rate.PerSecond(), rate.PerSecond()/r.Rates[0].PerSecond())
	}
}

const bucket = "alerts"

// Run measures; see the package comment. It serves the function with
// functions.Serve, whose listener stays open until the process exits.
func Run(ctx context.Context, log *slog.Logger, opts Options) (Report, error) {
	opts = opts.withDefaults()
	gcs, err := stack.StartGCS(ctx, stack.GCSOptions{Buckets: []string{bucket, "raw"}})
	if err != nil {
		return Report{}, err
	}
	defer gcs.Close()

	log.Info("generating alerts", "alerts", 2*opts.Alerts)
	msgs, meta, err := messages(opts.Night, 2*opts.Alerts)
	if err != nil {
		return Report{}, err
	}
	first, second := msgs[:opts.Alerts], msgs[opts.Alerts:]
	rep := Report{Alerts: opts.Alerts, Workers: opts.Workers}
	for _, m := range first {
		rep.MeanBytes += len(m.Data)
	}
	rep.MeanBytes /= len(first)

	log.Info("writing with the storage client alone")
	raw, err := rawWrites(ctx, gcs, first, meta, opts.Workers)
	if err != nil {
		return rep, err
	}
	rep.Rates = append(rep.Rates, raw)

	a, err := functions.New(ctx, functions.Config{Bucket: bucket, QuarantinePrefix: "quarantine/"},
		logging.New(io.Discard, slog.LevelInfo), gcs.ClientOptions()...)
	if err != nil {
		return rep, err
	}
	defer a.Close()
	addr, err := serve(ctx, a)
	if err != nil {
		return rep, err
	}
	for _, name := range []string{"function (push requests)", "function replay (all duplicates)"} {
		log.Info("timing the function", "run", name)
		r, err := postPushes(ctx, "http://"+addr, first, opts.Workers)
		if err != nil {
			return rep, err
		}
		r.Name = name
		rep.Rates = append(rep.Rates, r)
	}
	if want := (functions.Counts{Stored: int64(opts.Alerts), Duplicates: int64(opts.Alerts)}); a.Counts() != want {
		return rep, fmt.Errorf("functionbench: function counted %+v, want %+v", a.Counts(), want)
	}
	if opts.NoPubSub {
		return rep, nil
	}
	log.Info("timing the function fed by the Pub/Sub emulator")
	r, err := emulatorPush(ctx, log, "http://"+addr, a, second)
	if err != nil {
		return rep, err
	}
	rep.Rates = append(rep.Rates, r)
	return rep, nil
}

// messages returns n synthetic alerts as the connector publishes them,
// and the metadata the function gives each object.
func messages(t time.Time, n int) ([]functions.Message, []map[string]string, error) {
	g, err := synth.New(synth.Config{Night: t, Seed: 1})
	if err != nil {
		return nil, nil, err
	}
	msgs := make([]functions.Message, n)
	meta := make([]map[string]string, n)
	for i := range msgs {
		p, err := g.Next()
		if err != nil {
			return nil, nil, err
		}
		a := map[string]string{
			attr.Candid:    strconv.FormatInt(p.Candid, 10),
			attr.ObjectID:  p.Alert.ObjectID,
			attr.SchemaVsn: p.Alert.SchemaVsn,
		}
		attr.Kafka{Topic: night.Topic(t), Partition: int32(i % 16), Offset: int64(i / 16), Timestamp: t}.Set(a)
		msgs[i] = functions.Message{ID: strconv.Itoa(i), Data: p.Data, Attributes: a}
		meta[i] = maps.Clone(a)
		meta[i][functions.MetaRA] = strconv.FormatFloat(p.Alert.Candidate.RA, 'f', -1, 64)
		meta[i][functions.MetaDec] = strconv.FormatFloat(p.Alert.Candidate.Dec, 'f', -1, 64)
		meta[i][functions.MetaMessageID] = msgs[i].ID
	}
	return msgs, meta, nil
}

// parallel runs do(0) to do(n-1) with the given number of workers and
// returns the first error and the elapsed time.
func parallel(n, workers int, do func(i int) error) (time.Duration, error) {
	var (
		next    atomic.Int64
		wg      sync.WaitGroup
		errOnce sync.Once
		first   error
	)
	start := time.Now()
	for range workers {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				if err := do(i); err != nil {
					errOnce.Do(func() { first = err })
					return
				}
			}
		})
	}
	wg.Wait()
	return time.Since(start), first
}

// rawWrites writes each alert as the function would, with the storage
// client alone, into the bucket "raw".
func rawWrites(ctx context.Context, gcs *stack.GCS, msgs []functions.Message, meta []map[string]string, workers int) (Rate, error) {
	client, err := storage.NewClient(ctx, gcs.ClientOptions()...)
	if err != nil {
		return Rate{}, err
	}
	defer client.Close()
	b := client.Bucket("raw")
	elapsed, err := parallel(len(msgs), workers, func(i int) error {
		m := msgs[i]
		w := b.Object(m.Attributes[attr.KafkaTopic] + "_" + m.Attributes[attr.Candid] + ".avro").
			If(storage.Conditions{DoesNotExist: true}).NewWriter(ctx)
		w.ContentType = functions.ContentType
		w.Metadata = meta[i]
		w.ChunkSize = 256 << 10
		if _, err := w.Write(m.Data); err != nil {
			w.Close()
			return err
		}
		return w.Close()
	})
	return Rate{Name: "raw storage client", Objects: len(msgs), Elapsed: elapsed}, err
}

// serve serves a with the functions framework on a free loopback port and
// returns its address once it accepts connections.
func serve(ctx context.Context, a *functions.Archiver) (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := l.Addr().String()
	l.Close()
	served := make(chan error, 1)
	go func() { served <- functions.Serve(ctx, addr, a) }()
	for deadline := time.Now().Add(10 * time.Second); ; {
		select {
		case err := <-served:
			return "", err
		default:
		}
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return addr, nil
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("functionbench: the function does not listen on %s", addr)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// postPushes POSTs each message to the function as a Pub/Sub push
// subscription does and checks that each is acknowledged.
func postPushes(ctx context.Context, url string, msgs []functions.Message, workers int) (Rate, error) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	defer client.CloseIdleConnections()
	endpoint := url + "/projects/ztfbridge-local/topics/ztf-alerts"
	elapsed, err := parallel(len(msgs), workers, func(i int) error {
		m := msgs[i]
		body, err := json.Marshal(map[string]any{
			"subscription": "projects/ztfbridge-local/subscriptions/bench",
			"message":      map[string]any{"data": m.Data, "attributes": m.Attributes, "messageId": m.ID},
		})
		if err != nil {
			return err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("functionbench: function answered %s: %s", resp.Status, msg)
		}
		return nil
	})
	return Rate{Objects: len(msgs), Elapsed: elapsed}, err
}

// emulatorPush publishes msgs to the Pub/Sub emulator, whose push
// subscription feeds the function at url, and times until a has stored
// them all.
func emulatorPush(ctx context.Context, log *slog.Logger, url string, a *functions.Archiver, msgs []functions.Message) (Rate, error) {
	ps, err := stack.StartPubSub(ctx, log, stack.PubSubOptions{})
	if err != nil {
		return Rate{}, err
	}
	defer ps.Close()
	if ps.InProcess {
		return Rate{}, errors.New("functionbench: push needs gcloud's Pub/Sub emulator, not found (use --no-pubsub)")
	}
	const topic = "ztf-alerts"
	if _, err := ps.ResetTopic(ctx, topic); err != nil {
		return Rate{}, err
	}
	if _, err := ps.ResetPushSubscription(ctx, "function", topic, url+"/"+ps.TopicName(topic)); err != nil {
		return Rate{}, err
	}
	client, err := ps.Client(ctx)
	if err != nil {
		return Rate{}, err
	}
	defer client.Close()
	pub := client.Publisher(ps.TopicName(topic))
	defer pub.Stop()

	before := a.Counts().Stored
	start := time.Now()
	results := make([]*pubsub.PublishResult, len(msgs))
	for i, m := range msgs {
		results[i] = pub.Publish(ctx, &pubsub.Message{Data: m.Data, Attributes: m.Attributes})
	}
	for _, r := range results {
		if _, err := r.Get(ctx); err != nil {
			return Rate{}, err
		}
	}
	want := before + int64(len(msgs))
	for a.Counts().Stored < want {
		if err := ctx.Err(); err != nil {
			return Rate{}, err
		}
		if time.Since(start) > 10*time.Minute {
			return Rate{}, fmt.Errorf("functionbench: %d of %d pushed alerts stored after 10 minutes", a.Counts().Stored-before, len(msgs))
		}
		time.Sleep(5 * time.Millisecond)
	}
	return Rate{Name: "function fed by emulator push", Objects: len(msgs), Elapsed: time.Since(start)}, nil
}
