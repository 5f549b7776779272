package reconcile

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/storage"
	"github.com/IBM/sarama"

	"github.com/ztfbridge/ztfbridge/functions"
	"github.com/ztfbridge/ztfbridge/internal/core/alert"
	"github.com/ztfbridge/ztfbridge/internal/core/attr"
	"github.com/ztfbridge/ztfbridge/internal/core/deps"
	"github.com/ztfbridge/ztfbridge/internal/core/message"
	"github.com/ztfbridge/ztfbridge/internal/core/night"
)

// Publisher flow control of a repair: at most this much published and not
// yet acknowledged by Pub/Sub.
const (
	repairOutstandingMessages = 1000
	repairOutstandingBytes    = 100 << 20
)

// RepairMessageID is the pubsub.messageId metadata of the objects a
// --stage gcs repair writes: they come from no Pub/Sub delivery.
const RepairMessageID = "ztfbridge-reconcile"

// RepairResult says what Repair did.
type RepairResult struct {
	Stage     string `json:"stage"`      // all, gcs or bigquery
	Published int64  `json:"published"`  // messages published to the alert topic
	Written   int64  `json:"written"`    // objects created straight in the bucket (--stage gcs)
	Existing  int64  `json:"existing"`   // objects found already there (--stage gcs)
	FromKafka int64  `json:"from_kafka"` // alerts read again from Kafka by their offsets
	FromGCS   int64  `json:"from_gcs"`   // alerts read from their GCS objects (not in the retained topic)
	// Unrepairable are missing candids that neither the retained topic nor
	// the bucket holds: BigQuery's row alone cannot rebuild a packet.
	Unrepairable []int64 `json:"unrepairable"`
}

func (r *RepairResult) String() string {
	s := fmt.Sprintf("repair (%s): %d read again from Kafka, %d from GCS; ", r.Stage, r.FromKafka, r.FromGCS)
	if r.Stage == string(StageGCS) {
		s += fmt.Sprintf("%d objects written to the bucket, %d already there", r.Written, r.Existing)
	} else {
		s += fmt.Sprintf("%d published to the alert topic", r.Published)
	}
	if len(r.Unrepairable) > 0 {
		s += fmt.Sprintf("; %d in neither Kafka nor GCS cannot be repaired", len(r.Unrepairable))
	}
	return s
}

// ParseStage reads --stage: "" or "all" is every stage, "gcs" and
// "bigquery" one.
func ParseStage(s string) (Stages, error) {
	switch s {
	case "", "all":
		return InGCS | InBigQuery, nil
	case string(StageGCS):
		return InGCS, nil
	case string(StageBigQuery):
		return InBigQuery, nil
	}
	return 0, fmt.Errorf("--stage %q: want all, gcs or bigquery", s)
}

// Repair brings the alerts r found missing from the stages of target back:
//
//   - every stage (InGCS|InBigQuery): each missing alert is published once
//     to the alert topic, data and attributes as the connector publishes
//     them; the function and the loader store it on their usual,
//     idempotent paths.
//   - InBigQuery: only the alerts missing from BigQuery are published. The
//     function receives them too and, their objects being there, writes
//     nothing (objects are write-once: a "duplicate" outcome).
//   - InGCS: the alerts missing from GCS are written straight into the
//     bucket by the function's own code (functions.Archiver: same names,
//     same write-once precondition, same metadata), and nothing is
//     published, so the loader sees nothing.
//
// An alert is read again from Kafka at its offset; one the retained topic
// no longer holds is read from its GCS object (for BigQuery); one in
// neither is Unrepairable. A report with nothing missing repairs nothing.
//
// Of opts it uses the same options as Run.
func Repair(ctx context.Context, cfg Config, r *Report, target Stages, opts ...deps.Option) (*RepairResult, error) {
	j, err := newJob(cfg, opts)
	if err != nil {
		return nil, err
	}
	res := &RepairResult{Stage: "all"}
	if target != InGCS|InBigQuery {
		res.Stage = target.String()
	}
	fromKafka := map[int32][]Missing{}
	var fromGCS []int64
	for _, m := range r.Missing {
		switch {
		case m.From&target == 0:
		case m.InKafka:
			fromKafka[m.Kafka.Partition] = append(fromKafka[m.Kafka.Partition], m)
		case m.From&target == InBigQuery && r.GCS != nil && !m.From.Has(InGCS):
			fromGCS = append(fromGCS, m.Candid)
		default:
			res.Unrepairable = append(res.Unrepairable, m.Candid)
		}
	}
	if len(fromKafka) == 0 && len(fromGCS) == 0 {
		return res, nil
	}

	var send sender
	if target == InGCS {
		send, err = newArchiverSender(ctx, j, res)
	} else {
		send, err = newPublisher(ctx, j, res)
	}
	if err != nil {
		return res, err
	}
	var fromKafkaN, fromGCSN atomic.Int64
	readErr := errors.Join(
		repairFromKafka(ctx, j, r.Topic, fromKafka, send, &fromKafkaN),
		repairFromGCS(ctx, j, r.Topic, fromGCS, send, &fromGCSN),
	)
	closeErr := send.close()
	res.FromKafka, res.FromGCS = fromKafkaN.Load(), fromGCSN.Load()
	j.Logger.Info("repaired", "topic", r.Topic, "stage", res.Stage, "from_kafka", res.FromKafka, "from_gcs", res.FromGCS,
		"published", res.Published, "written", res.Written, "existing", res.Existing, "unrepairable", len(res.Unrepairable))
	return res, errors.Join(readErr, closeErr)
}

// A sender delivers one alert to the stages being repaired; close waits
// for every delivery and reports the first failure.
type sender interface {
	send(ctx context.Context, data []byte, attrs map[string]string) error
	close() error
}

// repairFromKafka reads the wanted alerts of each partition by offset,
// partitions concurrently, and sends each after checking it is still the
// alert of its candid.
func repairFromKafka(ctx context.Context, cfg job, topic string, wanted map[int32][]Missing, send sender, n *atomic.Int64) error {
	if len(wanted) == 0 {
		return nil
	}
	sc, err := consumerConfig(cfg)
	if err != nil {
		return err
	}
	consumer, err := sarama.NewConsumer(cfg.Stages.Brokers, sc)
	if err != nil {
		return fmt.Errorf("kafka consumer: %w", err)
	}
	defer consumer.Close()
	dec := alert.NewDecoder()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for p, ms := range wanted {
		slices.SortFunc(ms, func(a, b Missing) int { return cmp.Compare(a.Kafka.Offset, b.Kafka.Offset) })
		offsets := make([]int64, len(ms))
		for i, m := range ms {
			offsets[i] = m.Kafka.Offset
		}
		wg.Go(func() {
			i := 0
			err := consumeOffsets(ctx, consumer, topic, p, offsets, func(km *sarama.ConsumerMessage) error {
				want := ms[i].Candid
				i++
				a, refused := classify(dec, cfg.MaxMessageBytes, km.Value)
				if refused != nil || a.Candid != want {
					return fmt.Errorf("%s/%d offset %d no longer holds candid %d", topic, p, km.Offset, want)
				}
				attrs := make(map[string]string, 9)
				attr.Kafka{Topic: km.Topic, Partition: km.Partition, Offset: km.Offset, Timestamp: km.Timestamp}.Set(attrs)
				a.SetAttributes(attrs)
				if err := send.send(ctx, km.Value, attrs); err != nil {
					return err
				}
				n.Add(1)
				return nil
			})
			if err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// repairFromGCS reads the objects of candids and sends their bytes with
// the attributes the connector gave them: the kafka.* ones kept in the
// object's metadata, the ids read again from the packet.
func repairFromGCS(ctx context.Context, cfg job, topic string, candids []int64, send sender, n *atomic.Int64) error {
	if len(candids) == 0 {
		return nil
	}
	client, err := storage.NewClient(ctx, cfg.Storage...)
	if err != nil {
		return fmt.Errorf("storage client: %w", err)
	}
	defer client.Close()
	bucket := client.Bucket(cfg.Stages.Bucket)
	dec := alert.NewDecoder()
	for _, c := range candids {
		obj := bucket.Object(night.ObjectName(topic, c))
		oa, err := obj.Attrs(ctx)
		if err != nil {
			return fmt.Errorf("gs://%s/%s: %w", cfg.Stages.Bucket, obj.ObjectName(), err)
		}
		rd, err := obj.NewReader(ctx)
		if err != nil {
			return fmt.Errorf("gs://%s/%s: %w", cfg.Stages.Bucket, obj.ObjectName(), err)
		}
		data, err := io.ReadAll(rd)
		rd.Close()
		if err != nil {
			return fmt.Errorf("gs://%s/%s: %w", cfg.Stages.Bucket, obj.ObjectName(), err)
		}
		a, refused := message.Check(dec, data)
		if refused != nil || a.Candid != c {
			return fmt.Errorf("gs://%s/%s does not hold the alert of candid %d: %v", cfg.Stages.Bucket, obj.ObjectName(), c, refused)
		}
		attrs := make(map[string]string, 9)
		if k, err := attr.ParseKafka(oa.Metadata); err == nil && k.Topic != "" {
			k.Set(attrs)
		}
		a.SetAttributes(attrs)
		if err := send.send(ctx, data, attrs); err != nil {
			return err
		}
		n.Add(1)
	}
	return nil
}

// publisher publishes to the alert topic and counts what Pub/Sub
// acknowledged.
type publisher struct {
	client  *pubsub.Client
	pub     *pubsub.Publisher
	results chan *pubsub.PublishResult
	done    chan struct{}
	err     error // first failure, read after done
}

func newPublisher(ctx context.Context, cfg job, res *RepairResult) (*publisher, error) {
	project := cfg.PubSubProject
	if project == "" {
		project = cfg.Stages.Project
	}
	if project == "" || cfg.PubSubTopic == "" {
		return nil, errors.New("--repair needs --pubsub-project (or --project) and --pubsub-topic")
	}
	client, err := pubsub.NewClient(ctx, project, cfg.PubSub...)
	if err != nil {
		return nil, fmt.Errorf("pubsub client: %w", err)
	}
	p := &publisher{client: client, pub: client.Publisher(cfg.PubSubTopic),
		results: make(chan *pubsub.PublishResult, repairOutstandingMessages), done: make(chan struct{})}
	p.pub.PublishSettings.FlowControlSettings = pubsub.FlowControlSettings{
		MaxOutstandingMessages: repairOutstandingMessages,
		MaxOutstandingBytes:    repairOutstandingBytes,
		LimitExceededBehavior:  pubsub.FlowControlBlock,
	}
	go func() {
		defer close(p.done)
		for r := range p.results {
			if _, err := r.Get(context.WithoutCancel(ctx)); err != nil {
				if p.err == nil {
					p.err = fmt.Errorf("publish to %s: %w", cfg.PubSubTopic, err)
				}
				continue
			}
			res.Published++
		}
	}()
	return p, nil
}

func (p *publisher) send(ctx context.Context, data []byte, attrs map[string]string) error {
	select {
	case p.results <- p.pub.Publish(ctx, &pubsub.Message{Data: data, Attributes: attrs}):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (p *publisher) close() error {
	close(p.results)
	<-p.done
	p.pub.Stop()
	return errors.Join(p.err, p.client.Close())
}

// archiverSender writes straight into the bucket with the function's code.
type archiverSender struct {
	a   *functions.Archiver
	res *RepairResult
	mu  sync.Mutex
}

func newArchiverSender(ctx context.Context, cfg job, res *RepairResult) (*archiverSender, error) {
	if cfg.Stages.Bucket == "" {
		return nil, errors.New("--stage gcs needs --bucket")
	}
	fc := functions.DefaultConfig()
	fc.Bucket, fc.QuarantinePrefix = cfg.Stages.Bucket, cfg.QuarantinePrefix
	a, err := functions.New(ctx, fc, deps.WithLogger(cfg.Logger), deps.WithStorageOptions(cfg.Storage...))
	if err != nil {
		return nil, err
	}
	return &archiverSender{a: a, res: res}, nil
}

func (s *archiverSender) send(ctx context.Context, data []byte, attrs map[string]string) error {
	out, err := s.a.Store(ctx, functions.Message{ID: RepairMessageID, Data: data, Attributes: attrs, PublishTime: time.Now()})
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch out.Outcome {
	case functions.Stored:
		s.res.Written++
	case functions.Duplicate:
		s.res.Existing++
	default:
		return fmt.Errorf("the function's code quarantined %s: %s", out.Object, out.Reason)
	}
	return nil
}

func (s *archiverSender) close() error { return s.a.Close() }
