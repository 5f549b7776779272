package bench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"cloud.google.com/go/bigquery"
	"cloud.google.com/go/bigquery/storage/managedwriter"
	"cloud.google.com/go/pubsub/v2"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/ztfbridge/ztfbridge/bqloader"
	"github.com/ztfbridge/ztfbridge/internal/core/alert"
	"github.com/ztfbridge/ztfbridge/internal/core/attr"
	"github.com/ztfbridge/ztfbridge/internal/core/bqrow"
	"github.com/ztfbridge/ztfbridge/internal/core/config"
	"github.com/ztfbridge/ztfbridge/internal/dev/stack"
	"github.com/ztfbridge/ztfbridge/internal/dev/synth"
)

// Pass names of the load bench.
const (
	PassRawReceive   = "raw: Pub/Sub receive + ack"
	PassRawLoad      = "raw: decode + managedwriter appends"
	PassLoader       = "loader (new alerts)"
	PassLoaderReplay = "loader replay (all duplicates)"
)

// Load measures the BigQuery loader ("ztfbridge load") against the two
// raw parts of its job, each a client in its own process: "ztfbridge-dev
// raw load", the Avro decode and row building it needs (alert.Decoder,
// bqrow, the loader's row encoder) and managedwriter appending the rows to
// the default stream of a table, in the loader's batches and appends in
// flight; and "ztfbridge-dev raw receive", a Pub/Sub subscriber with the
// loader's flow control receiving the same messages and acking them. The
// loader is fed the same alerts through the Pub/Sub emulator and measured
// until it has written them all, then fed them again replayCopies times,
// all duplicates, until it has dropped them all. Each round runs on a
// fresh BigQuery emulator (it inserts about 40 rows/s whoever writes,
// slower as it fills).
//
// Every side first does as many other alerts unmeasured (the warm-up), so
// that what is measured is a process in its stride, as the loader is all
// night: a process that starts spends much of its first minutes
// faulting its heap into fresh pages (on this machine ~45,000 page faults,
// a quarter of the loader's CPU over a 600-alert pass), and how much
// depends on how far each one's heap grows, not on its work.
func Load(ctx context.Context, opts Options) (*Report, error) {
	opts = opts.withDefaults(1000)
	dir, err := os.MkdirTemp("", "ztfbridge-bench-load-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	ps, err := stack.StartPubSub(ctx, opts.Log, stack.PubSubOptions{Heap: opts.PubSubHeap})
	if err != nil {
		return nil, err
	}
	defer ps.Close()
	if ps.InProcess {
		return nil, errors.New("bench load: needs gcloud's Pub/Sub emulator as its own process, not the in-process pstest")
	}
	all, err := synth.Generate(synth.Config{Night: opts.Night, Seed: opts.Seed}, 2*opts.Alerts)
	if err != nil {
		return nil, err
	}
	warm, packets := all[:opts.Alerts], all[opts.Alerts:]
	data := make([][]byte, len(all))
	var size, warmSize int64
	for i, p := range all {
		data[i] = p.Data
		if i < len(warm) {
			warmSize += int64(len(p.Data))
		} else {
			size += int64(len(p.Data))
		}
	}
	input := filepath.Join(dir, "packets.gob")
	if err := writeGob(input, data); err != nil {
		return nil, err
	}
	rowBytes, err := meanRowBytes(packets)
	if err != nil {
		return nil, err
	}
	cfg := bqloader.DefaultConfig()
	rep := &Report{
		Figures: map[string]float64{FigureRowBytes: rowBytes},
		Bench:   "load",
		Setup: fmt.Sprintf("%d synthetic alerts (%.0f KB mean) after as many unmeasured, batches of %d rows, %d appends in flight; Pub/Sub and BigQuery emulators; %d rounds",
			opts.Alerts, float64(size)/float64(opts.Alerts)/1e3, cfg.BatchRows, cfg.WritesInFlight, opts.Rounds),
		// The loader's job is both raw parts: receiving the alerts from
		// Pub/Sub (and acking them) and writing their rows. The ratio to
		// the write alone is printed too, for comparison with earlier runs.
		Ratios: []Ratio{
			{Component: PassLoader, Raw: []string{PassRawReceive, PassRawLoad}, Target: 1.3},
			{Component: PassLoader, Raw: []string{PassRawLoad}},
		},
	}
	var fixed []loaderFixedCosts
	for round := 1; round <= opts.Rounds; round++ {
		f, err := loadRound(ctx, opts, rep, dir, input, ps, warm, packets, size+warmSize, round)
		if err != nil {
			return rep, err
		}
		fixed = append(fixed, f)
	}
	rep.Figures[FigureLoaderStartup] = medianOf(fixed, func(f loaderFixedCosts) float64 { return float64(f.startup) / float64(time.Millisecond) })
	rep.Figures[FigureLoaderIdle] = medianOf(fixed, func(f loaderFixedCosts) float64 { return f.idle })
	return rep, nil
}

// Names of the loader's fixed costs in Report.Figures: what the loader
// spends outside the measured passes, to judge how much of a pass they may
// weigh (the idle cost runs through a pass while the loader waits for the
// emulator's inserts).
const (
	FigureLoaderStartup = "loader start-up CPU, ms (median; New: clients, tables, seen-set warm-up)"
	FigureLoaderIdle    = "loader idle CPU with its subscription open, µs per second (median)"
)

// replayCopies is how many times the replay pass delivers each packet,
// all duplicates. A duplicate costs the loader about what receiving it
// costs, a fifth of a new alert, and one pass's fixed costs (a garbage
// collection, the bench's scrapes, idling while the emulator delivers)
// weigh much more in a short pass: over 1,000 duplicates the figure swung
// between 140 and 260 µs from one round to the next, over 3,000 between
// 143 and 163 (2026-12-03).
const replayCopies = 3

// idleSpan is how long the loader is left idle, unobserved, to measure its
// idle cost: long enough for CPU clock ticks of 10 ms.
const idleSpan = 10 * time.Second

// loaderFixedCosts are the loader's own CPU from its start until it is
// ready, and per second of idling afterwards.
type loaderFixedCosts struct {
	startup time.Duration
	idle    float64 // µs of CPU per second
}

// medianOf returns the median of f over xs.
func medianOf[T any](xs []T, f func(T) float64) float64 {
	vs := make([]float64, len(xs))
	for i, x := range xs {
		vs[i] = f(x)
	}
	slices.Sort(vs)
	return vs[len(vs)/2]
}

// loadRound runs one round of every pass of the load bench: warm are the
// alerts each side does first, unmeasured, packets those it is measured
// on, and size the bytes of both.
func loadRound(ctx context.Context, opts Options, rep *Report, dir, input string, ps *stack.PubSub, warm, packets []synth.Packet, size int64, round int) (fixed loaderFixedCosts, err error) {
	bq, err := stack.StartBigQuery(ctx, opts.Log, stack.BigQueryOptions{})
	if err != nil {
		return fixed, err
	}
	defer bq.Close()
	opts.Log.Info("bench load", "pass", PassRawLoad, "round", round)
	if err := createRawTable(ctx, bq, "bench_raw"); err != nil {
		return fixed, err
	}
	all := len(warm) + len(packets)
	s, err := runRaw(ctx, dir, opts.Bins, "raw-load", []string{"load", "--input", input, "--warm", strconv.Itoa(len(warm)),
		"--project", bq.Project, "--dataset", "bench_raw", "--bigquery-storage-api", bq.GRPCAddr}, nil, all, size)
	if err != nil {
		return fixed, err
	}
	rep.Add(PassRawLoad, s)

	const topic, sub, rawSub = "bench-alerts", "bench-load", "bench-raw-receive"
	client, err := ps.Client(ctx)
	if err != nil {
		return fixed, err
	}
	defer client.Close()
	opts.Log.Info("bench load", "pass", PassLoader, "round", round)
	for _, t := range []string{topic, "bench-deadletter"} {
		if _, err := ps.ResetTopic(ctx, t); err != nil {
			return fixed, err
		}
	}
	if _, err := ps.ResetPullSubscription(ctx, sub, topic); err != nil {
		return fixed, err
	}
	metrics, err := stack.FreeAddr()
	if err != nil {
		return fixed, err
	}
	p, err := startProc(dir, "loader", opts.Bins.Ztfbridge, []string{"load", "--project", bq.Project, "--pubsub-project", ps.Project,
		"--subscription", sub, "--pubsub-topic", topic, "--deadletter-topic", "bench-deadletter", "--dataset", "bench",
		"--bigquery-api", bq.Endpoint(), "--bigquery-storage-api", bq.GRPCAddr,
		"--metrics-addr", metrics, "--dedup-refresh", "1h", "--create-resources"}, ps.Env())
	if err != nil {
		return fixed, err
	}
	defer p.stop()
	url := "http://" + metrics + "/metrics"
	if err := p.waitUntil(ctx, func() (bool, error) {
		_, err := counter(ctx, url, "") // any answer will do
		return err == nil, nil
	}); err != nil {
		return fixed, err
	}
	if fixed, err = idleCosts(ctx, p); err != nil {
		return fixed, err
	}
	const written, dropped = "ztfbridge_bqloader_rows_written_total", "ztfbridge_bqloader_duplicates_dropped_total"
	if err := publish(ctx, client.Publisher(topic), warm); err != nil {
		return fixed, err
	}
	if err := p.waitUntil(ctx, func() (bool, error) {
		v, err := counter(ctx, url, written)
		return v >= float64(len(warm)), err
	}); err != nil {
		return fixed, err
	}
	alerts, bytes := remaining(all, size, len(warm))
	for _, pass := range []struct {
		name, counter string
		after         int // the counter's value before the pass
		copies        int // times each packet is published
	}{
		{PassLoader, written, len(warm), 1},
		{PassLoaderReplay, dropped, 0, replayCopies},
	} {
		s, err := p.begin()
		if err != nil {
			return fixed, err
		}
		for range pass.copies {
			if err := publish(ctx, client.Publisher(topic), packets); err != nil {
				return fixed, err
			}
		}
		if err := p.waitUntil(ctx, func() (bool, error) {
			v, err := counter(ctx, url, pass.counter)
			return v >= float64(pass.after+pass.copies*len(packets)), err
		}); err != nil {
			return fixed, err
		}
		sample, err := s.end(pass.copies*alerts, int64(pass.copies)*bytes)
		if err != nil {
			return fixed, err
		}
		rep.Add(pass.name, sample)
	}
	if err := p.stop(); err != nil {
		return fixed, err
	}

	opts.Log.Info("bench load", "pass", PassRawReceive, "round", round)
	if _, err := ps.ResetTopic(ctx, topic); err != nil {
		return fixed, err
	}
	if _, err := ps.ResetPullSubscription(ctx, rawSub, topic); err != nil {
		return fixed, err
	}
	if err := publish(ctx, client.Publisher(topic), append(slices.Clip(warm), packets...)); err != nil {
		return fixed, err
	}
	s, err = runRaw(ctx, dir, opts.Bins, "raw-receive", []string{"receive", "--pubsub-project", ps.Project, "--project", bq.Project,
		"--subscription", rawSub, "--alerts", strconv.Itoa(all), "--warm", strconv.Itoa(len(warm))}, ps.Env(), all, size)
	if err != nil {
		return fixed, err
	}
	rep.Add(PassRawReceive, s)

	return fixed, nil
}

// idleCosts reads the CPU p has used since it started, then leaves it idle
// for idleSpan without scraping it and reads what that cost.
func idleCosts(ctx context.Context, p *proc) (loaderFixedCosts, error) {
	var f loaderFixedCosts
	s, err := p.begin()
	if err != nil {
		return f, err
	}
	f.startup = s.cpu
	t := time.NewTimer(idleSpan)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return f, ctx.Err()
	case <-t.C:
	}
	idle, err := s.end(0, 0)
	f.idle = micros(idle.CPU) / idle.Elapsed.Seconds()
	return f, err
}

// FigureRowBytes names the mean bytes of an encoded row (no cutouts), the
// Storage Write API's billed size, in Report.Figures.
const FigureRowBytes = "BigQuery row bytes per alert (Storage Write API, no cutouts)"

// meanRowBytes returns the mean size of the packets' encoded rows.
func meanRowBytes(packets []synth.Packet) (float64, error) {
	enc, err := bqloader.NewRowEncoder(bqrow.Schema(bqrow.Options{}))
	if err != nil {
		return 0, err
	}
	total := 0
	for _, p := range packets {
		row, err := enc.Encode(bqrow.New(p.Alert, bqrow.Ingest{IngestTime: time.Now()}, bqrow.Options{}).Values())
		if err != nil {
			return 0, err
		}
		total += len(row)
	}
	return float64(total) / float64(len(packets)), nil
}

// createRawTable creates dataset and in it the loader's raw table.
func createRawTable(ctx context.Context, bq *stack.BigQuery, dataset string) error {
	client, err := bq.Client(ctx)
	if err != nil {
		return err
	}
	defer client.Close()
	ds := client.Dataset(dataset)
	if err := ds.Create(ctx, nil); err != nil {
		return err
	}
	return ds.Table(bqloader.RawTable).Create(ctx, &bigquery.TableMetadata{Schema: bqrow.Schema(bqrow.Options{}),
		TimePartitioning: &bigquery.TimePartitioning{Field: "night"}, Clustering: &bigquery.Clustering{Fields: []string{"objectId", "candid"}}})
}

// publish publishes the packets with the connector's Kafka attributes and
// waits for Pub/Sub to have them all.
func publish(ctx context.Context, pub *pubsub.Publisher, packets []synth.Packet) error {
	defer pub.Stop()
	results := make([]*pubsub.PublishResult, len(packets))
	for i, p := range packets {
		m := &pubsub.Message{Data: p.Data, Attributes: map[string]string{}}
		attr.Kafka{Topic: p.Alert.Topic(), Partition: int32(i % 16), Offset: int64(i), Timestamp: p.Alert.Night.Time()}.Set(m.Attributes)
		results[i] = pub.Publish(ctx, m)
	}
	for _, r := range results {
		if _, err := r.Get(ctx); err != nil {
			return err
		}
	}
	return nil
}

// RunRawLoad is the raw client of the load bench, in its own process
// ("ztfbridge-dev raw load"): it decodes the packets of --input, builds
// and encodes their rows as the loader does, and appends them with
// managedwriter to the raw table of --dataset, cut into the loader's
// batches with its appends in flight. Once the first --warm packets are
// written it says "warm N", and the bench measures from there.
func RunRawLoad(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	cfg := bqloader.DefaultConfig()
	fs := flag.NewFlagSet("raw load", flag.ContinueOnError)
	cfg.AddFlags(fs)
	input := fs.String("input", "", "gob file of the packets")
	warm := fs.Int("warm", 0, "say \"warm N\" on stdout once the rows of the first N packets are written")
	if err := config.Parse(fs, args); err != nil {
		return err
	}
	var packets [][]byte
	if err := readGob(*input, &packets); err != nil {
		return err
	}
	rowOpts := bqrow.Options{Cutouts: cfg.Cutouts}
	enc, err := bqloader.NewRowEncoder(bqrow.Schema(rowOpts))
	if err != nil {
		return err
	}
	// The loader's client options, built from its Config.
	mw, err := managedwriter.NewClient(ctx, cfg.Project, managedwriter.WithMultiplexing(),
		option.WithEndpoint(cfg.StorageWriteAPI), option.WithoutAuthentication(),
		option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())))
	if err != nil {
		return err
	}
	defer mw.Close()
	stream, err := mw.NewManagedStream(ctx, managedwriter.WithType(managedwriter.DefaultStream),
		managedwriter.WithDestinationTable(managedwriter.TableParentFromParts(cfg.Project, cfg.Dataset, bqloader.RawTable)),
		managedwriter.WithSchemaDescriptor(enc.Descriptor()))
	if err != nil {
		return err
	}
	defer stream.Close()
	done, err := handshake(stdin, stdout)
	if err != nil {
		return err
	}

	dec := alert.NewDecoder()
	slots := make(chan struct{}, cfg.WritesInFlight)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	appendBatch := func(batch [][]byte) {
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
	// write appends the rows of packets, first numbered from, and
	// waits until they are written.
	write := func(packets [][]byte, from int) error {
		var batch [][]byte
		size := 0
		for i, p := range packets {
			alerts, err := dec.Decode(p)
			if err != nil {
				return err
			}
			for _, a := range alerts {
				k := attr.Kafka{Topic: a.Topic(), Partition: int32((from + i) % 16), Offset: int64(from + i), Timestamp: a.Night.Time()}
				row, err := enc.Encode(bqrow.New(a, bqrow.Ingest{Kafka: k, IngestTime: time.Now()}, rowOpts).Values())
				if err != nil {
					return err
				}
				if len(batch) > 0 && (len(batch) == cfg.BatchRows || size+len(row) > cfg.BatchBytes) {
					appendBatch(batch)
					batch, size = nil, 0
				}
				batch, size = append(batch, row), size+len(row)
			}
		}
		if len(batch) > 0 {
			appendBatch(batch)
		}
		wg.Wait()
		return errors.Join(errs...)
	}
	*warm = min(max(*warm, 0), len(packets))
	if *warm > 0 {
		if err := write(packets[:*warm], 0); err != nil {
			return err
		}
		if _, err := fmt.Fprintf(stdout, "warm %d\n", *warm); err != nil {
			return err
		}
	}
	if err := write(packets[*warm:], *warm); err != nil {
		return err
	}
	return done()
}

// RunRawReceive is the other raw client of the load bench, in its own
// process ("ztfbridge-dev raw receive"): a bare Pub/Sub subscriber with
// the loader's flow control receives the messages of --subscription and
// acks each one; done once it has received --alerts of them. It says
// "warm N" once it has received the first --warm, and the bench measures
// from there.
func RunRawReceive(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	cfg := bqloader.DefaultConfig()
	fs := flag.NewFlagSet("raw receive", flag.ContinueOnError)
	cfg.AddFlags(fs)
	want := fs.Int("alerts", 0, "messages to receive")
	warm := fs.Int("warm", 0, "say \"warm N\" on stdout once N messages are received")
	if err := config.Parse(fs, args); err != nil {
		return err
	}
	if *warm < 0 || *warm >= *want {
		return fmt.Errorf("raw receive: --warm %d is not below --alerts %d", *warm, *want)
	}
	client, err := pubsub.NewClient(ctx, cfg.PubSubProject)
	if err != nil {
		return err
	}
	defer client.Close()
	sub := client.Subscriber(cfg.Subscription)
	sub.ReceiveSettings.MaxOutstandingMessages = cfg.MaxOutstandingMessages
	sub.ReceiveSettings.MaxOutstandingBytes = cfg.MaxOutstandingBytes
	done, err := handshake(stdin, stdout)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var received atomic.Int64
	var warmErr error
	err = sub.Receive(ctx, func(_ context.Context, m *pubsub.Message) {
		m.Ack()
		switch received.Add(1) {
		case int64(*warm):
			if _, warmErr = fmt.Fprintf(stdout, "warm %d\n", *warm); warmErr != nil {
				cancel()
			}
		case int64(*want):
			cancel()
		}
	})
	if err := errors.Join(err, warmErr); err != nil {
		return err
	}
	if n := received.Load(); n < int64(*want) {
		return fmt.Errorf("raw receive: %d of %d received", n, *want)
	}
	return done()
}
