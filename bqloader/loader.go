package bqloader

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
	"google.golang.org/api/iterator"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ztfbridge/ztfbridge/internal/core/alert"
	"github.com/ztfbridge/ztfbridge/internal/core/attr"
	"github.com/ztfbridge/ztfbridge/internal/core/bqrow"
	"github.com/ztfbridge/ztfbridge/internal/core/deps"
	"github.com/ztfbridge/ztfbridge/internal/core/message"
	"github.com/ztfbridge/ztfbridge/internal/core/night"
	"github.com/ztfbridge/ztfbridge/internal/core/tick"
)

// Loader streams the alerts of one Pub/Sub subscription into BigQuery.
// Create it with New, run it once with Run, then Close it.
//
// The story of one message, in the order of this file: Run receives it;
// handle decodes it (undecodable: dead letter), skips it if its candid
// already has a row (duplicate: ack), encodes its row and hands it to the
// batcher; the batcher writes it with others in one append; when BigQuery
// has acknowledged the append the candid is remembered and the message
// acked. A row BigQuery refuses goes to the dead-letter topic, then the
// message is acked. A message is acked only after its row, or its dead
// letter, is durable: at least once, with the alerts view making it once.
type Loader struct {
	cfg     Config
	log     *slog.Logger
	reg     *prometheus.Registry
	now     func() time.Time
	metrics *loaderMetrics
	decoder *alert.Decoder
	rowOpts bqrow.Options
	encoder *RowEncoder

	unmapped *unmappedFields

	pubsub *pubsub.Client
	sub    *pubsub.Subscriber
	dead   *pubsub.Publisher

	bq      *bigquery.Client
	storage *managedwriter.Client
	writer  *writer
	seen    *seenSet
	batches *batcher
}

// New checks cfg (Config.Validate), connects to Pub/Sub and BigQuery, checks that the
// subscription and the raw table (with every column) exist, or with
// CreateResources creates what is missing (the subscription, the dataset,
// the raw table and its new columns, the views), opens the write stream
// and reads the candids already written for the last DedupNights nights.
// It fails if the dead-letter topic or BigQuery cannot be reached, so that
// a wrong setting is seen at start. It receives nothing until Run.
//
// Of opts it uses the logger, the registry, the clock (ingest_time), and
// the Pub/Sub, BigQuery and Storage Write options.
func New(ctx context.Context, cfg Config, opts ...deps.Option) (_ *Loader, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("bqloader: %w", err)
	}
	if cfg.PubSubProject == "" {
		cfg.PubSubProject = cfg.Project
	}
	d := deps.New(opts...)
	l := &Loader{cfg: cfg, log: d.Logger, reg: d.Registry, now: d.Now, decoder: alert.NewDecoder(),
		rowOpts: bqrow.Options{Cutouts: cfg.Cutouts}}
	l.metrics = newMetrics(l.reg)
	l.unmapped = newUnmappedFields(l.log, l.metrics.unmappedFields)
	defer func() {
		if err != nil {
			l.Close()
		}
	}()

	if l.pubsub, err = pubsub.NewClient(ctx, cfg.PubSubProject, d.PubSub...); err != nil {
		return nil, fmt.Errorf("bqloader: pubsub: %w", err)
	}
	if err := l.checkSubscription(ctx); err != nil {
		return nil, fmt.Errorf("bqloader: %w", err)
	}
	deadTopic := "projects/" + cfg.PubSubProject + "/topics/" + cfg.DeadLetterTopic
	if _, err := l.pubsub.TopicAdminClient.GetTopic(ctx, &pubsubpb.GetTopicRequest{Topic: deadTopic}); err != nil {
		return nil, fmt.Errorf("bqloader: dead-letter topic %s: %w", deadTopic, err)
	}
	l.dead = l.pubsub.Publisher(cfg.DeadLetterTopic)
	l.sub = l.pubsub.Subscriber(cfg.Subscription)
	l.sub.ReceiveSettings.MaxOutstandingMessages = cfg.MaxOutstandingMessages
	l.sub.ReceiveSettings.MaxOutstandingBytes = cfg.MaxOutstandingBytes

	if l.bq, err = bigquery.NewClient(ctx, cfg.Project, cfg.bigQueryOptions(d.BigQuery)...); err != nil {
		return nil, fmt.Errorf("bqloader: bigquery: %w", err)
	}
	var schema bigquery.Schema
	if cfg.CreateResources {
		schema, err = EnsureTables(ctx, l.bq, cfg.Dataset, cfg.Location, bqrow.Schema(l.rowOpts))
	} else {
		schema, err = CheckTables(ctx, l.bq, cfg.Dataset, bqrow.Schema(l.rowOpts))
	}
	if err != nil {
		return nil, fmt.Errorf("bqloader: %w", err)
	}
	if l.encoder, err = NewRowEncoder(schema); err != nil {
		return nil, fmt.Errorf("bqloader: %w", err)
	}
	if l.storage, err = managedwriter.NewClient(ctx, cfg.Project, cfg.storageWriteClientOptions(d.StorageWrite)...); err != nil {
		return nil, fmt.Errorf("bqloader: storage write api: %w", err)
	}
	stream, err := l.storage.NewManagedStream(ctx,
		managedwriter.WithType(managedwriter.DefaultStream),
		managedwriter.WithDestinationTable(managedwriter.TableParentFromParts(cfg.Project, cfg.Dataset, RawTable)),
		managedwriter.WithSchemaDescriptor(l.encoder.Descriptor()))
	if err != nil {
		return nil, fmt.Errorf("bqloader: open write stream: %w", err)
	}
	l.writer = &writer{
		stream:  stream,
		log:     l.log,
		metrics: l.metrics,
		pause:   backoff,
		timeout: cfg.AppendTimeout,
	}
	l.seen = newSeenSet(l.readCandids, cfg.DedupNights, l.now, l.log)
	l.seen.warm(ctx, recentNights(l.now(), cfg.DedupNights)...)
	l.metrics.seenCandids.Set(float64(l.seen.len()))
	l.batches = newBatcher(cfg.BatchRows, cfg.BatchBytes, cfg.BatchDelay, cfg.WritesInFlight, l.writeBatch)
	return l, nil
}

// recentNights returns the n UTC nights up to the one of now, oldest
// first: tonight and the nights whose replay may still come.
func recentNights(now time.Time, n int) []night.Night {
	today := night.Of(now)
	nights := make([]night.Night, n)
	for i := range nights {
		nights[i] = today.AddDays(i - n + 1)
	}
	return nights
}

// checkSubscription checks that the loader's subscription exists. With
// CreateResources it creates it on the alert topic when missing; in
// production Terraform owns it.
func (l *Loader) checkSubscription(ctx context.Context) error {
	name := "projects/" + l.cfg.PubSubProject + "/subscriptions/" + l.cfg.Subscription
	_, err := l.pubsub.SubscriptionAdminClient.GetSubscription(ctx, &pubsubpb.GetSubscriptionRequest{Subscription: name})
	if status.Code(err) != codes.NotFound || !l.cfg.CreateResources {
		if err != nil {
			return fmt.Errorf("subscription %s: %w", name, err)
		}
		return nil
	}
	_, err = l.pubsub.SubscriptionAdminClient.CreateSubscription(ctx, &pubsubpb.Subscription{
		Name:               name,
		Topic:              "projects/" + l.cfg.PubSubProject + "/topics/" + l.cfg.PubSubTopic,
		AckDeadlineSeconds: 60,
	})
	if err != nil && status.Code(err) != codes.AlreadyExists {
		return fmt.Errorf("create subscription %s: %w", name, err)
	}
	l.log.Info("created subscription", "subscription", name, "topic", l.cfg.PubSubTopic)
	return nil
}

// Registry is where l's metrics are registered (WithRegistry or its own).
func (l *Loader) Registry() *prometheus.Registry { return l.reg }

// Run receives and loads until ctx is done, then drains: what was received
// is written and acknowledged if BigQuery takes it within DrainTimeout, and
// handed back to Pub/Sub (nacked) otherwise. Run returns nil after a clean
// stop; call it once. Run serves nothing: the command that runs the
// loader serves Registry.
func (l *Loader) Run(ctx context.Context) error {
	l.log.Info("loader starting", "subscription", l.cfg.Subscription, "table", l.cfg.Project+"."+l.cfg.Dataset+"."+RawTable)
	// Writes and dead letters outlive ctx by at most DrainTimeout.
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	stopDrainTimer := context.AfterFunc(ctx, func() { time.AfterFunc(l.cfg.DrainTimeout, cancelWork) })
	defer stopDrainTimer()

	var wg sync.WaitGroup
	wg.Go(func() { l.refreshSeen(ctx) })
	wg.Go(func() { l.batches.run(work, ctx.Done()) })

	err := l.sub.Receive(ctx, func(_ context.Context, m *pubsub.Message) { l.handle(work, m) })
	// Receive returns once every handle has returned: nothing sends to
	// the batcher any more.
	l.batches.close()
	wg.Wait()
	l.log.Info("loader stopped")
	if err != nil {
		return fmt.Errorf("bqloader: receive: %w", err)
	}
	return nil
}

// handle takes one message to BigQuery and acks it, or nacks it when it
// could not be written before the drain ended. It returns when the
// message is settled, so that Pub/Sub's flow control (MaxOutstanding*)
// bounds what the loader holds: backpressure, not growth.
//
// It reads only the packet's ids first (the message contract,
// internal/core/message): a message the contract refuses is dead-lettered for
// the same reason the connector and the function refuse it, and a candid
// already written (the replay) is acked without decoding the rest.
func (l *Loader) handle(ctx context.Context, m *pubsub.Message) {
	l.metrics.received.Inc()
	ids, refusal := message.Check(l.decoder, m.Data)
	if refusal != nil {
		l.deadLetter(ctx, m, refusal)
		return
	}
	if l.seen.contains(ctx, ids.Night, ids.Candid) {
		l.metrics.duplicates.Inc()
		m.Ack()
		return
	}
	alerts, err := l.decoder.Decode(m.Data)
	if err != nil { // damage in the histories or cutouts, which Check skips
		l.deadLetter(ctx, m, &message.Refusal{Reason: message.Undecodable, Detail: err.Error()})
		return
	}
	a := alerts[0]
	row, err := l.encode(a, m)
	if err != nil {
		l.deadLetter(ctx, m, &message.Refusal{Reason: message.Unencodable, Detail: err.Error()})
		return
	}
	p := &pending{night: ids.Night, candid: a.Candid, row: row, done: make(chan outcome, 1)}
	o := l.batches.write(ctx, p)
	switch {
	case o.err != nil:
		l.metrics.nacked.Inc()
		m.Nack()
	case o.rejected != "":
		l.deadLetter(ctx, m, &message.Refusal{Reason: message.Rejected, Detail: o.rejected})
	default:
		m.Ack()
	}
}

// encode returns the Storage Write API row of a, stamped with the Kafka
// position the connector put in m's attributes and the time now.
func (l *Loader) encode(a *alert.Alert, m *pubsub.Message) ([]byte, error) {
	k, err := attr.ParseKafka(m.Attributes)
	if err != nil {
		// The alert is good; only its provenance is unreadable.
		l.log.Warn("malformed Kafka attributes, loading the alert without them", "candid", a.Candid, "err", err)
		k = attr.Kafka{}
	}
	l.unmapped.note(a)
	return l.encoder.Encode(bqrow.New(a, bqrow.Ingest{Kafka: k, IngestTime: l.now()}, l.rowOpts).Values())
}

// writeBatch writes one batch and tells each of its messages the outcome
// as soon as it is known. A row's candid is remembered before its message
// is acked, so that a redelivery of it is recognised.
func (l *Loader) writeBatch(ctx context.Context, batch []*pending) {
	rows := make([][]byte, len(batch))
	for i, p := range batch {
		rows[i] = p.row
	}
	l.metrics.batchRows.Observe(float64(len(rows)))
	l.writer.write(ctx, rows, func(i int, refused string, err error) {
		p := batch[i]
		switch {
		case err != nil:
			p.done <- outcome{err: err}
		case refused != "":
			p.done <- outcome{rejected: refused}
		default:
			l.seen.add(p.night, p.candid)
			l.metrics.rowsWritten.Inc()
			l.metrics.seenCandids.Set(float64(l.seen.len()))
			p.done <- outcome{}
		}
	})
}

// deadLetter publishes m's data unchanged to the dead-letter topic with
// the refusal's attributes (and m's Kafka coordinates and ids), and acks m
// once the dead letter is stored. If the dead-letter topic cannot take it,
// m is nacked and will come again: nothing is dropped.
func (l *Loader) deadLetter(ctx context.Context, m *pubsub.Message, r *message.Refusal) {
	attrs := r.Attributes(m.Attributes)
	log := l.log.With("reason", r.Reason, "detail", r.Detail, "message_id", m.ID,
		"candid", attrs[attr.Candid], "objectId", attrs[attr.ObjectID])
	if _, err := l.dead.Publish(ctx, &pubsub.Message{Data: m.Data, Attributes: attrs}).Get(ctx); err != nil {
		log.Error("cannot publish dead letter; message handed back to Pub/Sub", "err", err)
		l.metrics.nacked.Inc()
		m.Nack()
		return
	}
	log.Warn("message dead-lettered")
	l.metrics.deadLettered.WithLabelValues(string(r.Reason)).Inc()
	m.Ack()
}

// readCandids is the seenSet's view of the raw table.
func (l *Loader) readCandids(ctx context.Context, n night.Night, since time.Time) ([]int64, error) {
	q := l.bq.Query(fmt.Sprintf("SELECT candid FROM `%s.%s.%s` WHERE night = @night AND ingest_time >= @since",
		l.cfg.Project, l.cfg.Dataset, RawTable))
	q.Parameters = []bigquery.QueryParameter{{Name: "night", Value: n.Civil()}, {Name: "since", Value: since}}
	it, err := q.Read(ctx)
	if err != nil {
		return nil, fmt.Errorf("read candids of %s: %w", n, err)
	}
	candids := make([]int64, 0, it.TotalRows)
	for {
		var row struct{ Candid int64 }
		err := it.Next(&row)
		if errors.Is(err, iterator.Done) {
			return candids, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read candids of %s: %w", n, err)
		}
		candids = append(candids, row.Candid)
	}
}

// refreshSeen reads back, every DedupRefresh, the candids other loaders
// wrote, until ctx is done.
func (l *Loader) refreshSeen(ctx context.Context) {
	tick.Every(ctx, l.cfg.DedupRefresh, func() {
		if err := l.seen.refresh(ctx); err != nil && ctx.Err() == nil {
			l.log.Warn("cannot refresh the written candids from BigQuery", "err", err)
		}
		l.metrics.seenCandids.Set(float64(l.seen.len()))
	})
}

// Close closes the write stream and every client. Call it after Run has
// returned, or instead of Run. While BigQuery is unreachable the Storage
// Write API client can block in its own retries of the connection; Close
// then gives up waiting for it after closeTimeout.
func (l *Loader) Close() error {
	var errs []error
	if l.dead != nil {
		l.dead.Stop()
	}
	if l.writer != nil || l.storage != nil {
		errs = append(errs, closeWithin(closeTimeout, func() error {
			var errs []error
			if l.writer != nil {
				// Closing a stream whose connection the server ended says EOF.
				if err := l.writer.stream.Close(); !errors.Is(err, io.EOF) {
					errs = append(errs, err)
				}
			}
			if l.storage != nil {
				errs = append(errs, l.storage.Close())
			}
			return errors.Join(errs...)
		}))
	}
	if l.bq != nil {
		errs = append(errs, l.bq.Close())
	}
	if l.pubsub != nil {
		errs = append(errs, l.pubsub.Close())
	}
	return errors.Join(errs...)
}

// closeTimeout bounds the wait for the Storage Write API client to close.
const closeTimeout = 10 * time.Second

// closeWithin runs close and waits for it at most d.
func closeWithin(d time.Duration, close func() error) error {
	done := make(chan error, 1)
	go func() { done <- close() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		return fmt.Errorf("storage write api: not closed after %v (BigQuery unreachable?)", d)
	}
}
