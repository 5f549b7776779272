package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/ztfbridge/ztfbridge/bqloader"
	"github.com/ztfbridge/ztfbridge/connector"
	"github.com/ztfbridge/ztfbridge/functions"
	"github.com/ztfbridge/ztfbridge/internal/core/deps"
	"github.com/ztfbridge/ztfbridge/internal/core/night"
	"github.com/ztfbridge/ztfbridge/internal/dev/stack"
	"github.com/ztfbridge/ztfbridge/internal/ops/nightcount"
)

// Names are the resources the pipeline uses on the local stack. They are
// the production defaults of each component, so that the commands and the
// CLIs find them without flags.
type Names struct {
	AlertTopic         string // Pub/Sub topic the connector publishes to
	DeadLetterTopic    string // Pub/Sub topic of dead letters
	PushSubscription   string // push subscription of the alert topic, delivering to the function
	LoaderSubscription string // pull subscription of the alert topic, read by the loader
	Bucket             string // GCS bucket of the alert objects and the connector's counts
	Dataset            string // BigQuery dataset of the loader
	Group              string // Kafka consumer group of the connector
}

// DefaultNames returns the names every component uses by default.
func DefaultNames() Names {
	c, l := connector.DefaultConfig(), bqloader.DefaultConfig()
	return Names{
		AlertTopic:         c.PubSubTopic,
		DeadLetterTopic:    c.DeadLetterTopic,
		PushSubscription:   "ztf-alerts-function",
		LoaderSubscription: l.Subscription,
		Bucket:             "ztf-alerts",
		Dataset:            l.Dataset,
		Group:              c.Group,
	}
}

// StackConfig is the configuration of a local stack holding n's topics
// and bucket, with Kafka topics of partitions partitions.
func (n Names) StackConfig(partitions int) stack.Config {
	var cfg stack.Config
	cfg.Kafka.Partitions = partitions
	cfg.PubSub.Topics = []string{n.AlertTopic, n.DeadLetterTopic}
	cfg.GCS.Buckets = []string{n.Bucket}
	return cfg
}

// Subscribe creates, empty, the function's push subscription (delivering
// to functionURL) and the loader's pull subscription on the alert topic.
func (n Names) Subscribe(ctx context.Context, ps *stack.PubSub, functionURL string) error {
	endpoint := functionURL + "/projects/" + ps.Project + "/topics/" + n.AlertTopic
	if _, err := ps.ResetPushSubscription(ctx, n.PushSubscription, n.AlertTopic, endpoint); err != nil {
		return fmt.Errorf("demo: push subscription: %w", err)
	}
	if _, err := ps.ResetPullSubscription(ctx, n.LoaderSubscription, n.AlertTopic); err != nil {
		return fmt.Errorf("demo: loader subscription: %w", err)
	}
	return nil
}

// ConnectorConfig is the configuration "ztfbridge connect --topic topic"
// gets from the environment of the stack: consume topic, publish to the
// alert topic, keep per-night counts in the bucket every second. The
// stack's clients are options of connector.New (see startConnector).
func (n Names) ConnectorConfig(s *stack.Stack, topic string) connector.Config {
	cfg := connector.DefaultConfig()
	cfg.Brokers = s.Kafka.Addrs()
	cfg.KafkaTopic = topic
	cfg.Group = n.Group
	cfg.PollInterval = time.Second
	cfg.PubSubProject = s.Project
	cfg.PubSubTopic, cfg.DeadLetterTopic = n.AlertTopic, n.DeadLetterTopic
	cfg.CountsBucket = n.Bucket
	cfg.CountsInterval = time.Second
	return cfg
}

// LoaderConfig is the configuration of "ztfbridge load" on the stack.
// Other loaders' rows are never read back during the run, and one append
// is in flight at a time: the settings docs/demo.md was measured with
// (they date from before tools/bqemulator shared one database across
// connections, when a query beside an append broke the emulator). The
// stack's Pub/Sub client is an option of bqloader.New (see startPipeline).
func (n Names) LoaderConfig(s *stack.Stack) bqloader.Config {
	cfg := bqloader.DefaultConfig()
	cfg.CreateResources = true // the local stack has no Terraform
	cfg.Project, cfg.PubSubProject = s.BigQuery.Project, s.Project
	cfg.Subscription, cfg.PubSubTopic, cfg.DeadLetterTopic = n.LoaderSubscription, n.AlertTopic, n.DeadLetterTopic
	cfg.Dataset = n.Dataset
	cfg.BigQueryAPI, cfg.StorageWriteAPI = s.BigQuery.Endpoint(), s.BigQuery.GRPCAddr
	cfg.BatchDelay = 200 * time.Millisecond
	// The emulator takes gRPC messages of at most 4 MB (BigQuery: 10 MB).
	cfg.BatchBytes = 3 << 20
	cfg.WritesInFlight = 1
	cfg.DedupRefresh = 24 * time.Hour
	return cfg
}

// A Function is the Cloud Function served on a loopback port, as
// "ztfbridge serve-function" serves it (functions.Serve).
type Function struct {
	// URL is the root the push subscription delivers to.
	URL      string
	Archiver *functions.Archiver
	stop     context.CancelFunc
	done     chan error
}

// StartFunction serves the function for bucket on a free loopback port
// and returns once it answers. The caller must Close it.
func StartFunction(ctx context.Context, s *stack.Stack, bucket string, log *slog.Logger) (*Function, error) {
	cfg := functions.DefaultConfig()
	cfg.Bucket = bucket
	a, err := functions.New(ctx, cfg, deps.WithLogger(log), deps.WithStorageOptions(s.GCS.ClientOptions()...))
	if err != nil {
		return nil, err
	}
	addr, err := stack.FreeAddr()
	if err != nil {
		return nil, errors.Join(err, a.Close())
	}
	ctx, stop := context.WithCancel(ctx)
	f := &Function{URL: "http://" + addr, Archiver: a, stop: stop, done: make(chan error, 1)}
	go func() { f.done <- functions.Serve(ctx, addr, a) }()
	for deadline := time.Now().Add(10 * time.Second); ; {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return f, nil
		}
		select {
		case err := <-f.done:
			stop()
			return nil, errors.Join(fmt.Errorf("demo: function: %w", err), a.Close())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return nil, errors.Join(fmt.Errorf("demo: function does not answer on %s", addr), f.Close())
		}
	}
}

// Close stops serving (later deliveries fail and are redelivered) and
// closes the archiver, which waits for the messages in flight.
func (f *Function) Close() error {
	f.stop()
	return errors.Join(<-f.done, f.Archiver.Close())
}

// Count counts the night at every stage of the stack with package nightcount,
// BigQuery in the analysts' view. Call it when nothing is loading, so that
// the counts are final.
func Count(ctx context.Context, s *stack.Stack, n Names, day night.Night) (nightcount.StageCounts, error) {
	cfg := nightcount.DefaultConfig()
	cfg.Brokers = s.Kafka.Addrs()
	cfg.Bucket = n.Bucket
	cfg.Project, cfg.Dataset, cfg.Table = s.BigQuery.Project, n.Dataset, bqloader.AlertsView
	cfg.BigQueryAPI = s.BigQuery.Endpoint()
	return nightcount.Count(ctx, cfg, day, deps.WithStorageOptions(s.GCS.ClientOptions()...))
}
