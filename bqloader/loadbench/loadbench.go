// Package loadbench measures the BigQuery loader's throughput on the local
// stack against the Storage Write API client alone.
//
// Run starts gcloud's Pub/Sub emulator, generates synthetic alerts of one
// night, and times three runs against the BigQuery emulator, the raw one
// and the loader's each on a fresh emulator process (same binary, same
// empty start: the emulator's inserts slow down as it fills, from about
// 38 rows/s for 2,000 alert rows to 30 for 5,000):
//
//   - raw: the managedwriter client appending the alerts' rows, encoded
//     beforehand, to the table's default stream in batches of BatchRows
//     with WritesInFlight appends at once — what the loader does, and
//     nothing else;
//   - loader: the same alerts published to Pub/Sub first (a backlog), then
//     a loader started on them, timed from Run to the last row written:
//     receiving, decoding, the candid check, encoding, the same appends,
//     acks;
//   - replay: the same alerts again, all duplicates, as at 10am: timed to
//     the last one acknowledged without a write.
//
// The ratio of each rate to the raw rate is the loader's cost over the
// client it is built on. Absolute rates depend on the machine: the
// emulators share its CPUs with the loader, and the BigQuery emulator
// (SQLite underneath) is far slower than BigQuery.
package loadbench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"cloud.google.com/go/bigquery"
	"cloud.google.com/go/bigquery/storage/managedwriter"
	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ztfbridge/ztfbridge/bqloader"
	"github.com/ztfbridge/ztfbridge/internal/attr"
	"github.com/ztfbridge/ztfbridge/internal/bqrow"
	"github.com/ztfbridge/ztfbridge/internal/stack"
	"github.com/ztfbridge/ztfbridge/internal/synth"
)

// Options says how much to measure. The zero value of a field takes its
// default.
type Options struct {
	Alerts         int // alerts per measurement (default 2000)
	BatchRows      int // rows per append, raw and loader alike (default: the loader's)
	BatchBytes     int // bytes per append, raw and loader alike (default: the loader's)
	WritesInFlight int // appends at once, raw and loader alike (default: the loader's)
}

// Rate is one timed run.
type Rate struct {
	Name    string
	Rows    int // rows written (or, for the replay, duplicates dropped)
	Elapsed time.Duration
}

// PerSecond returns rows per second.
func (r Rate) PerSecond() float64 { return float64(r.Rows) / r.Elapsed.Seconds() }

// Report is the result of Run: Rates[0] is the raw client's.
type Report struct {
	Alerts         int
	MeanRowBytes   int
	BatchRows      int
	WritesInFlight int
	Rates          []Rate
}

// Print writes the report as a table with each rate's ratio to the raw one.
func (r Report) Print(w io.Writer) {
	fmt.Fprintf(w, "%d synthetic alerts, rows of %d bytes on average, batches of %d rows, %d appends in flight,\nlocal Pub/Sub and BigQuery emulators (Storage Write API, default stream)\n\n",
		r.Alerts, r.MeanRowBytes, r.BatchRows, r.WritesInFlight)
	fmt.Fprintf(w, "%-44s %8s %10s %10s %8s\n", "", "rows", "seconds", "rows/s", "vs raw")
	for _, rate := range r.Rates {
		fmt.Fprintf(w, "%-44s %8d %10.2f %10.0f %8.2f\n",
			rate.Name, rate.Rows, rate.Elapsed.Seconds(), rate.PerSecond(), rate.PerSecond()/r.Rates[0].PerSecond())
	}
}

// night is the night of the synthetic alerts.
var night = time.Date(2024, 7, 15, 0, 0, 0, 0, time.UTC)

// Run measures; see the package comment.
func Run(ctx context.Context, log *slog.Logger, opts Options) (Report, error) {
	cfg := bqloader.DefaultConfig()
	if opts.Alerts <= 0 {
		opts.Alerts = 2000
	}
	if opts.BatchRows <= 0 {
		opts.BatchRows = cfg.BatchRows
	}
	if opts.BatchBytes <= 0 {
		opts.BatchBytes = cfg.BatchBytes
	}
	if opts.WritesInFlight <= 0 {
		opts.WritesInFlight = cfg.WritesInFlight
	}
	rep := Report{Alerts: opts.Alerts, BatchRows: opts.BatchRows, WritesInFlight: opts.WritesInFlight}

	ps, err := stack.StartPubSub(ctx, log, stack.PubSubOptions{})
	if err != nil {
		return rep, err
	}
	defer ps.Close()

	packets, err := synth.Generate(synth.Config{Night: night, Seed: 1}, opts.Alerts)
	if err != nil {
		return rep, err
	}
	bq, err := stack.StartBigQuery(ctx, log, stack.BigQueryOptions{})
	if err != nil {
		return rep, err
	}
	raw, meanBytes, err := measureRaw(ctx, bq, cfg.Dataset, packets, opts)
	bq.Close()
	if err != nil {
		return rep, fmt.Errorf("raw client: %w", err)
	}
	rep.MeanRowBytes = meanBytes
	rep.Rates = append(rep.Rates, raw)

	if bq, err = stack.StartBigQuery(ctx, log, stack.BigQueryOptions{}); err != nil {
		return rep, err
	}
	defer bq.Close()

	cfg.Project, cfg.PubSubProject = bq.Project, ps.Project
	cfg.PubSubOptions = ps.ClientOptions()
	cfg.BigQueryAPI, cfg.StorageWriteAPI = bq.Endpoint(), bq.GRPCAddr
	cfg.BatchRows, cfg.BatchBytes, cfg.WritesInFlight = opts.BatchRows, opts.BatchBytes, opts.WritesInFlight
	cfg.MetricsAddr = ""
	cfg.Logger = log
	cfg.Now = func() time.Time { return night.Add(10 * time.Hour) }
	cfg.DedupRefresh = time.Hour // time the appends alone, as in the raw pass
	loaded, replay, err := measureLoader(ctx, ps, cfg, packets)
	if err != nil {
		return rep, fmt.Errorf("loader: %w", err)
	}
	rep.Rates = append(rep.Rates, loaded, replay)
	return rep, nil
}

// measureRaw appends the packets' rows with managedwriter alone to the
// raw table of dataset, in batches cut as the loader's batcher cuts them.
func measureRaw(ctx context.Context, bq *stack.BigQuery, dataset string, packets []synth.Packet, opts Options) (Rate, int, error) {
	client, err := bq.Client(ctx)
	if err != nil {
		return Rate{}, 0, err
	}
	defer client.Close()
	schema := bqrow.Schema(bqrow.Options{})
	ds := client.Dataset(dataset)
	if err := ds.Create(ctx, nil); err != nil {
		return Rate{}, 0, err
	}
	table := ds.Table(bqloader.RawTable)
	if err := table.Create(ctx, &bigquery.TableMetadata{Schema: schema,
		TimePartitioning: &bigquery.TimePartitioning{Field: "night"}, Clustering: &bigquery.Clustering{Fields: []string{"objectId", "candid"}}}); err != nil {
		return Rate{}, 0, err
	}
	enc, err := bqloader.NewRowEncoder(schema)
	if err != nil {
		return Rate{}, 0, err
	}
	rows := make([][]byte, len(packets))
	total := 0
	for i, p := range packets {
		if rows[i], err = enc.Encode(bqrow.New(p.Alert, bqrow.Ingest{IngestTime: night.Add(10 * time.Hour)}, bqrow.Options{}).Values()); err != nil {
			return Rate{}, 0, err
		}
		total += len(rows[i])
	}

	cfg := bqloader.Config{StorageWriteAPI: bq.GRPCAddr}
	mw, err := managedwriter.NewClient(ctx, bq.Project, cfg.StorageWriteClientOptions()...)
	if err != nil {
		return Rate{}, 0, err
	}
	defer mw.Close()
	stream, err := mw.NewManagedStream(ctx, managedwriter.WithType(managedwriter.DefaultStream),
		managedwriter.WithDestinationTable(managedwriter.TableParentFromParts(bq.Project, ds.DatasetID, bqloader.RawTable)),
		managedwriter.WithSchemaDescriptor(enc.Descriptor()))
	if err != nil {
		return Rate{}, 0, err
	}
	defer stream.Close()

	start := time.Now()
	slots := make(chan struct{}, opts.WritesInFlight)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for lo := 0; lo < len(rows); {
		hi, size := lo, 0
		for hi < len(rows) && hi-lo < opts.BatchRows && (hi == lo || size+len(rows[hi]) <= opts.BatchBytes) {
			size += len(rows[hi])
			hi++
		}
		batch := rows[lo:hi]
		lo = hi
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			res, err := stream.AppendRows(ctx, batch)
			if err == nil {
				_, err = res.GetResult(ctx)
			}
			if err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := errors.Join(errs...); err != nil {
		return Rate{}, 0, err
	}
	md, err := table.Metadata(ctx)
	if err != nil {
		return Rate{}, 0, err
	}
	if md.NumRows != uint64(len(rows)) {
		return Rate{}, 0, fmt.Errorf("the table holds %d rows, want %d", md.NumRows, len(rows))
	}
	return Rate{Name: "raw managedwriter (pre-encoded rows)", Rows: len(rows), Elapsed: elapsed}, total / len(rows), nil
}

// measureLoader publishes the packets, runs a loader until it has written
// them, publishes them again and runs it until it has dropped them all.
func measureLoader(ctx context.Context, ps *stack.PubSub, cfg bqloader.Config, packets []synth.Packet) (loaded, replay Rate, err error) {
	cfg.Topic, cfg.DeadLetterTopic, cfg.Subscription = "bench-alerts", "bench-deadletter", "bench-load"
	for _, t := range []string{cfg.Topic, cfg.DeadLetterTopic} {
		if _, err := ps.ResetTopic(ctx, t); err != nil {
			return loaded, replay, err
		}
	}
	if _, err := ps.ResetSubscription(ctx, &pubsubpb.Subscription{Name: cfg.Subscription, Topic: cfg.Topic, AckDeadlineSeconds: 60}); err != nil {
		return loaded, replay, err
	}
	psc, err := ps.Client(ctx)
	if err != nil {
		return loaded, replay, err
	}
	defer psc.Close()
	if err := publish(ctx, psc.Publisher(cfg.Topic), packets); err != nil {
		return loaded, replay, err
	}

	reg := prometheus.NewRegistry()
	cfg.Registry = reg
	l, err := bqloader.New(ctx, cfg)
	if err != nil {
		return loaded, replay, err
	}
	defer l.Close()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	var runErr error
	start := time.Now()
	go func() { runErr = l.Run(runCtx); close(done) }()
	defer func() {
		stop()
		<-done
		if err == nil {
			err = runErr
		}
	}()
	if err := waitFor(ctx, done, reg, "ztfbridge_bqloader_rows_written_total", len(packets)); err != nil {
		return loaded, replay, err
	}
	loaded = Rate{Name: "loader (Pub/Sub backlog to rows)", Rows: len(packets), Elapsed: time.Since(start)}

	if err := publish(ctx, psc.Publisher(cfg.Topic), packets); err != nil {
		return loaded, replay, err
	}
	start = time.Now()
	if err := waitFor(ctx, done, reg, "ztfbridge_bqloader_duplicates_dropped_total", len(packets)); err != nil {
		return loaded, replay, err
	}
	replay = Rate{Name: "loader replay (all duplicates, no writes)", Rows: len(packets), Elapsed: time.Since(start)}
	return loaded, replay, nil
}

// publish publishes the packets with the connector's attributes and
// waits for Pub/Sub to have them all.
func publish(ctx context.Context, pub *pubsub.Publisher, packets []synth.Packet) error {
	defer pub.Stop()
	results := make([]*pubsub.PublishResult, len(packets))
	for i, p := range packets {
		m := &pubsub.Message{Data: p.Data, Attributes: map[string]string{}}
		attr.Kafka{Topic: p.Alert.Topic(), Partition: int32(i % 16), Offset: int64(i), Timestamp: night.Add(time.Duration(i) * time.Millisecond)}.Set(m.Attributes)
		results[i] = pub.Publish(ctx, m)
	}
	for _, r := range results {
		if _, err := r.Get(ctx); err != nil {
			return err
		}
	}
	return nil
}

// waitFor waits until the counter name of reg reaches n, the loader stops
// (done is closed) or ctx ends.
func waitFor(ctx context.Context, done <-chan struct{}, reg *prometheus.Registry, name string, n int) error {
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		v, err := counter(reg, name)
		if err != nil {
			return err
		}
		if v >= float64(n) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-done:
			return errors.New("the loader stopped before the end")
		case <-t.C:
		}
	}
}

// counter reads the value of a counter of reg.
func counter(reg *prometheus.Registry, name string) (float64, error) {
	families, err := reg.Gather()
	if err != nil {
		return 0, err
	}
	for _, f := range families {
		if f.GetName() == name && len(f.GetMetric()) == 1 {
			return f.GetMetric()[0].GetCounter().GetValue(), nil
		}
	}
	return 0, fmt.Errorf("no counter %s", name)
}
