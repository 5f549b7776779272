package connector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"cloud.google.com/go/storage"
	"github.com/IBM/sarama"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ztfbridge/ztfbridge/internal/core/alert"
	"github.com/ztfbridge/ztfbridge/internal/core/deps"
)

// Connector bridges Kafka to Pub/Sub. Create it with New, run it once with
// Run, then Close it.
type Connector struct {
	cfg     Config
	log     *slog.Logger
	reg     *prometheus.Registry
	metrics *connectorMetrics
	limited *limitedLog
	decoder *alert.Decoder

	kafka  *sarama.Config
	client sarama.Client       // metadata and lag; members have their own
	admin  sarama.ClusterAdmin // owns client
	topics *topicWatcher

	pubsub *pubsub.Client
	alerts *pubsub.Publisher
	dead   *pubsub.Publisher
	// alertsAlone and deadAlone publish one message per request: a
	// message whose request Pub/Sub refused is sent again through them.
	alertsAlone *pubsub.Publisher
	deadAlone   *pubsub.Publisher
	budget      *budget

	replay *replaySet      // nil without --dedup-replay
	gcs    *storage.Client // nil without --counts-bucket
	counts *tallyKeeper    // nil without --counts-bucket
}

// New checks cfg (Config.Validate) and connects to Kafka, Pub/Sub and
// (with CountsBucket) GCS. It fails if a broker, a Pub/Sub topic or the
// bucket cannot be reached, so that a wrong setting is seen at start, not
// at the first alert. It consumes nothing until Run.
//
// Of opts it uses the logger, the registry, the clock, and the Pub/Sub and
// storage options.
func New(ctx context.Context, cfg Config, opts ...deps.Option) (_ *Connector, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("connector: %w", err)
	}
	d := deps.New(opts...)
	c := &Connector{cfg: cfg, log: d.Logger, reg: d.Registry, decoder: alert.NewDecoder()}
	c.metrics = newMetrics(c.reg)
	c.limited = newLimitedLog(c.log)
	defer func() {
		if err != nil {
			c.Close()
		}
	}()

	if c.kafka, err = cfg.SaramaConfig(); err != nil {
		return nil, fmt.Errorf("connector: %w", err)
	}
	if c.client, err = sarama.NewClient(cfg.Brokers, c.kafka); err != nil {
		return nil, fmt.Errorf("connector: kafka %v: %w", cfg.Brokers, err)
	}
	if c.admin, err = sarama.NewClusterAdminFromClient(c.client); err != nil {
		return nil, fmt.Errorf("connector: kafka admin: %w", err)
	}
	c.topics = newTopicWatcher(&c.cfg, d.Now, c.client, c.admin, c.log, c.metrics)

	if c.pubsub, err = pubsub.NewClient(ctx, cfg.PubSubProject, d.PubSub...); err != nil {
		return nil, fmt.Errorf("connector: pubsub: %w", err)
	}
	for _, t := range []string{cfg.PubSubTopic, cfg.DeadLetterTopic} {
		name := "projects/" + cfg.PubSubProject + "/topics/" + t
		if _, err := c.pubsub.TopicAdminClient.GetTopic(ctx, &pubsubpb.GetTopicRequest{Topic: name}); err != nil {
			return nil, fmt.Errorf("connector: pubsub topic %s: %w", name, err)
		}
	}
	settings := cfg.publishSettings()
	alone := settings
	alone.CountThreshold = 1
	c.alerts, c.alertsAlone = c.pubsub.Publisher(cfg.PubSubTopic), c.pubsub.Publisher(cfg.PubSubTopic)
	c.dead, c.deadAlone = c.pubsub.Publisher(cfg.DeadLetterTopic), c.pubsub.Publisher(cfg.DeadLetterTopic)
	c.alerts.PublishSettings, c.dead.PublishSettings = settings, settings
	c.alertsAlone.PublishSettings, c.deadAlone.PublishSettings = alone, alone
	c.budget = newBudget(int64(cfg.MaxHeldBytes), c.metrics.heldBytes)

	if cfg.DedupReplay {
		c.replay = newReplaySet(cfg.DedupMax, c.log)
	}
	if cfg.CountsBucket != "" {
		if c.gcs, err = storage.NewClient(ctx, d.Storage...); err != nil {
			return nil, fmt.Errorf("connector: storage: %w", err)
		}
		b := c.gcs.Bucket(cfg.CountsBucket)
		if _, err := b.Attrs(ctx); err != nil {
			return nil, fmt.Errorf("connector: --counts-bucket %s: %w", cfg.CountsBucket, err)
		}
		c.counts = &tallyKeeper{bucket: b, now: d.Now, log: c.log, pending: map[string]*TopicTally{}}
	}
	return c, nil
}

// publishSettings are the Pub/Sub publisher settings of c: batches of
// PublishBatchCount messages or PublishBatchBytes bytes, and flow control
// that makes Publish wait (and so the reading of Kafka) while
// MaxOutstandingMessages or MaxOutstandingBytes are unacknowledged. The
// connector's memory at any backlog is bounded by MaxHeldBytes, plus
// sarama's BatchSize messages buffered and one FetchBytes fetch per
// partition.
func (c *Config) publishSettings() pubsub.PublishSettings {
	s := pubsub.DefaultPublishSettings
	s.CountThreshold = c.PublishBatchCount
	s.ByteThreshold = c.PublishBatchBytes
	s.DelayThreshold = c.PublishDelay
	s.NumGoroutines = c.PublishGoroutines
	s.Timeout = c.PublishTimeout
	s.FlowControlSettings = pubsub.FlowControlSettings{
		MaxOutstandingMessages: c.MaxOutstandingMessages,
		MaxOutstandingBytes:    c.MaxOutstandingBytes,
		LimitExceededBehavior:  pubsub.FlowControlBlock,
	}
	return s
}

// Registry is where c's metrics are registered (WithRegistry or its own).
func (c *Connector) Registry() *prometheus.Registry { return c.reg }

// Run consumes until ctx is done, then drains: each partition waits up to
// DrainTimeout for its in-flight publishes, marks what was acknowledged,
// and the group commits it before leaving. The counts are written a last
// time before Run returns; the error is that write's. Call it once. Run
// serves nothing: the command that runs the connector serves Registry.
func (c *Connector) Run(ctx context.Context) error {
	c.log.Info("connector starting", "config", c.cfg)
	var wg sync.WaitGroup
	wg.Go(func() { c.topics.run(ctx) })
	if c.counts != nil {
		wg.Go(func() { c.counts.run(ctx, c.cfg.CountsInterval) })
	}
	var members sync.WaitGroup
	for i := range c.cfg.Consumers {
		members.Go(func() { c.member(ctx, i) })
	}
	members.Wait()
	wg.Wait()

	var errs []error
	if c.counts != nil {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if err := c.counts.flush(fctx); err != nil {
			errs = append(errs, fmt.Errorf("last counts: %w", err))
		}
	}
	c.log.Info("connector stopped")
	return errors.Join(errs...)
}

// member is one consumer-group member: it consumes the current
// subscription until the subscription changes or ctx is done, then joins
// again. It has its own Kafka client (connections and fetchers).
func (c *Connector) member(ctx context.Context, id int) {
	log := c.log.With("member", id)
	var group sarama.ConsumerGroup
	backoff := time.Second
	retry := func(msg string, err error) {
		log.Warn(msg, "err", err, "retry_in", backoff.String())
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, time.Minute)
	}
	for ctx.Err() == nil && group == nil {
		g, err := sarama.NewConsumerGroup(c.cfg.Brokers, c.cfg.Group, c.kafka)
		if err != nil {
			retry("cannot create consumer group member", err)
			continue
		}
		group = g
	}
	if group == nil {
		return
	}
	errorsDone := make(chan struct{})
	go func() {
		defer close(errorsDone)
		c.kafkaErrors(log, group.Errors())
	}()
	defer func() {
		group.Close() // closes the Errors channel
		<-errorsDone
	}()

	for ctx.Err() == nil {
		topics, changed := c.topics.subscription()
		if len(topics) == 0 {
			select {
			case <-ctx.Done():
			case <-changed:
			}
			continue
		}
		sess, cancel := context.WithCancel(ctx)
		go func() {
			select {
			case <-changed:
				cancel()
			case <-sess.Done():
			}
		}()
		err := group.Consume(sess, topics, handler{c})
		cancel()
		if err != nil && ctx.Err() == nil {
			retry("consumer group session failed; joining again", err)
			continue
		}
		backoff = time.Second
	}
}

// kafkaErrors logs (rate-limited) and counts the errors sarama reports
// while a member consumes, until errs is closed.
func (c *Connector) kafkaErrors(log *slog.Logger, errs <-chan error) {
	for err := range errs {
		kind := kafkaErrorGroup
		if ce := (*sarama.ConsumerError)(nil); errors.As(err, &ce) {
			kind = kafkaErrorFetch
		}
		c.metrics.kafkaErrors.WithLabelValues(kind).Inc()
		c.limited.warnWith(log, "kafka-"+kind, "Kafka error", "kind", kind, "err", err)
	}
}

// Close stops the publishers (sending what they still hold) and closes
// every client. Call it after Run has returned, or instead of Run.
func (c *Connector) Close() error {
	var errs []error
	for _, p := range []*pubsub.Publisher{c.alerts, c.dead, c.alertsAlone, c.deadAlone} {
		if p != nil {
			p.Stop()
		}
	}
	if c.pubsub != nil {
		errs = append(errs, c.pubsub.Close())
	}
	if c.admin != nil {
		errs = append(errs, c.admin.Close()) // closes c.client
	} else if c.client != nil {
		errs = append(errs, c.client.Close())
	}
	if c.gcs != nil {
		errs = append(errs, c.gcs.Close())
	}
	return errors.Join(errs...)
}
