package connector

import (
	"flag"
	"log/slog"
	"regexp"
	"time"

	"github.com/ztfbridge/ztfbridge/internal/core/config"
	"github.com/ztfbridge/ztfbridge/internal/core/kafkaclient"
)

// Config is everything the connector can be told. Each field is one
// command-line flag (see AddFlags, which also holds the help text);
// DefaultConfig holds every default. What is not a setting (logger,
// metrics registry, clock, Google client options) is an deps.Option of New.
type Config struct {
	// Kafka: the brokers and how to reach them (--brokers, --kafka-version,
	// --tls*, --sasl*), as for every command that reads Kafka.
	kafkaclient.Config

	Group          string        // --group: consumer group id; committed offsets live under it
	KafkaTopic     string        // --topic: consume exactly this Kafka topic (backfill)
	Topics         []string      // --topics: consume these topics
	TopicRegex     string        // --topic-regex: consume every topic whose whole name matches
	PollInterval   time.Duration // --topic-poll-interval: how often topics, the night and lag are looked at
	Consumers      int           // --consumers: consumer-group members run by this process
	BatchSize      int           // --batch-size: messages of one partition handled at once
	FetchBytes     int           // --fetch-bytes: bytes asked per partition per fetch
	CommitEvery    time.Duration // --commit-interval: how often acknowledged offsets are committed
	DrainTimeout   time.Duration // --drain-timeout: longest wait for in-flight publishes on stop or rebalance
	SessionTimeout time.Duration // --session-timeout: a member not heard from for this long leaves the group

	// Pub/Sub.
	PubSubProject          string        // --pubsub-project
	PubSubTopic            string        // --pubsub-topic
	DeadLetterTopic        string        // --deadletter-topic
	PublishBatchCount      int           // --publish-batch-count: messages per Publish request
	PublishBatchBytes      int           // --publish-batch-bytes: bytes per Publish request
	PublishDelay           time.Duration // --publish-delay: longest wait to fill a request
	PublishGoroutines      int           // --publish-goroutines: concurrent Publish requests; 0 = library default
	PublishTimeout         time.Duration // --publish-timeout: give up one Publish request (then retried) after this
	MaxOutstandingBytes    int           // --max-outstanding-bytes: bytes published and not yet acknowledged
	MaxOutstandingMessages int           // --max-outstanding-messages: messages published and not yet acknowledged
	MaxMessageBytes        int           // --max-message-bytes: larger messages are dead letters
	MaxHeldBytes           int           // --max-held-bytes: bytes read from Kafka and not yet acknowledged, whole process

	// Replay dedup.
	DedupReplay bool // --dedup-replay
	DedupMax    int  // --dedup-max: candids remembered per night

	// Observability.
	CountsBucket   string        // --counts-bucket: GCS bucket of the per-topic counts; empty = off
	CountsInterval time.Duration // --counts-interval: how often counts are written
}

// DefaultConfig returns the defaults, chosen for a 2-core VM reading the
// public ZTF stream: about 80 KB per alert, 0.6-1.2 million alerts a
// night, bursts of 80,000 a minute.
func DefaultConfig() Config {
	return Config{
		Config: kafkaclient.Config{
			Brokers:      []string{"public.alerts.ztf.uw.edu:9092"},
			KafkaVersion: kafkaclient.DefaultVersion,
			ClientID:     "ztfbridge-connector",
		},
		Group:          "ztfbridge",
		PollInterval:   30 * time.Second,
		Consumers:      2,
		BatchSize:      64,
		FetchBytes:     8 << 20,
		CommitEvery:    time.Second,
		DrainTimeout:   45 * time.Second,
		SessionTimeout: 10 * time.Second,

		PubSubTopic:            "ztf-alerts",
		DeadLetterTopic:        "ztf-alerts-deadletter",
		PublishBatchCount:      1000,
		PublishBatchBytes:      8 << 20,
		PublishDelay:           20 * time.Millisecond,
		PublishTimeout:         60 * time.Second,
		MaxOutstandingBytes:    128 << 20,
		MaxOutstandingMessages: 2000,
		MaxMessageBytes:        9_500_000,
		MaxHeldBytes:           256 << 20,

		DedupMax: 1_500_000,

		CountsInterval: 30 * time.Second,
	}
}

// AddFlags defines one flag per Config field on fs, with c's values as
// defaults, writing into c.
func (c *Config) AddFlags(fs *flag.FlagSet) {
	c.Config.AddFlags(fs)
	fs.StringVar(&c.Group, "group", c.Group, "Kafka consumer group; a new group starts at the earliest offset")
	fs.StringVar(&c.KafkaTopic, "topic", c.KafkaTopic, "consume only this topic, e.g. a past night for a backfill (default: tonight's ztf_YYYYMMDD_programid1, UTC)")
	fs.Var(config.List(&c.Topics), "topics", "comma-separated `topics` to consume instead of tonight's")
	fs.StringVar(&c.TopicRegex, "topic-regex", c.TopicRegex, "consume every topic whose whole name matches this regular expression")
	fs.DurationVar(&c.PollInterval, "topic-poll-interval", c.PollInterval, "how often to look for new or awaited topics, the next night and the lag")
	fs.IntVar(&c.Consumers, "consumers", c.Consumers, "consumer-group members in this process; they share the partitions")
	fs.IntVar(&c.BatchSize, "batch-size", c.BatchSize, "messages of one partition handled at once (also the per-partition fetch buffer)")
	fs.IntVar(&c.FetchBytes, "fetch-bytes", c.FetchBytes, "bytes requested per partition per Kafka fetch")
	fs.DurationVar(&c.CommitEvery, "commit-interval", c.CommitEvery, "how often acknowledged offsets are committed to Kafka")
	fs.DurationVar(&c.SessionTimeout, "session-timeout", c.SessionTimeout, "a member whose heartbeats the group has not had for this long is dropped and its\npartitions handed out again: how soon a crashed connector's partitions move (Kafka allows 6 s-5 min)")
	fs.DurationVar(&c.DrainTimeout, "drain-timeout", c.DrainTimeout, "longest wait for in-flight publishes on SIGTERM or rebalance; then come the\noffset commit and the counts write. On the VM: below systemd's TimeoutStopSec=75,\nitself below the ~90 s Compute Engine gives a stopping guest")

	fs.StringVar(&c.PubSubProject, "pubsub-project", c.PubSubProject, "Google Cloud project of the Pub/Sub topics (required)")
	fs.StringVar(&c.PubSubTopic, "pubsub-topic", c.PubSubTopic, "Pub/Sub topic the alerts are published to")
	fs.StringVar(&c.DeadLetterTopic, "deadletter-topic", c.DeadLetterTopic, "Pub/Sub topic for messages that are not publishable alerts")
	fs.IntVar(&c.PublishBatchCount, "publish-batch-count", c.PublishBatchCount, "messages per Pub/Sub Publish request (at most 1000)")
	fs.IntVar(&c.PublishBatchBytes, "publish-batch-bytes", c.PublishBatchBytes, "bytes per Pub/Sub Publish request (at most 10 MB)")
	fs.DurationVar(&c.PublishDelay, "publish-delay", c.PublishDelay, "longest wait to fill a Pub/Sub Publish request")
	fs.IntVar(&c.PublishGoroutines, "publish-goroutines", c.PublishGoroutines, "concurrent Pub/Sub Publish requests (default: the library's 25 per CPU)")
	fs.DurationVar(&c.PublishTimeout, "publish-timeout", c.PublishTimeout, "a Publish request not answered by then fails and is retried")
	fs.IntVar(&c.MaxOutstandingBytes, "max-outstanding-bytes", c.MaxOutstandingBytes, "bytes published but not yet acknowledged; reading Kafka waits above it")
	fs.IntVar(&c.MaxOutstandingMessages, "max-outstanding-messages", c.MaxOutstandingMessages, "messages published but not yet acknowledged; reading Kafka waits above it")
	fs.IntVar(&c.MaxHeldBytes, "max-held-bytes", c.MaxHeldBytes, "bytes of Kafka messages the whole process holds from reading to Pub/Sub's\n"+
		"acknowledgement, whatever the partition count; reading waits above it. Memory is about\n"+
		"this plus, per partition, sarama's buffer of --batch-size messages and one --fetch-bytes fetch")
	fs.IntVar(&c.MaxMessageBytes, "max-message-bytes", c.MaxMessageBytes, "larger Kafka messages go to the dead-letter topic without their data\n(Pub/Sub accepts at most 10 MB)")

	fs.BoolVar(&c.DedupReplay, "dedup-replay", c.DedupReplay, "drop alerts whose candid this process already published for the night\n(the 10am replay); memory: at most 2 nights x --dedup-max candids x 40 bytes (120 MB at the default)")
	fs.IntVar(&c.DedupMax, "dedup-max", c.DedupMax, "candids remembered per night by --dedup-replay; later ones are published without the check")

	fs.StringVar(&c.CountsBucket, "counts-bucket", c.CountsBucket, "GCS bucket where per-topic published counts are kept for \"ztfbridge count\"; empty = off")
	fs.DurationVar(&c.CountsInterval, "counts-interval", c.CountsInterval, "how often the per-topic counts are written to --counts-bucket")
}

// Validate reports every setting that cannot work, joined. It changes
// nothing; New calls it.
func (c Config) Validate() error {
	var chk config.Check
	chk.Nest("", c.Config.Validate())
	chk.Require("Group", c.Group)
	selectors := 0
	for _, set := range []bool{c.KafkaTopic != "", len(c.Topics) > 0, c.TopicRegex != ""} {
		if set {
			selectors++
		}
	}
	if selectors > 1 {
		chk.Fail("KafkaTopic", "excludes %s and %s: give one of the three", config.Ref("Topics"), config.Ref("TopicRegex"))
	}
	if c.TopicRegex != "" {
		if _, err := regexp.Compile(c.TopicRegex); err != nil {
			chk.Fail("TopicRegex", "%v", err)
		}
	}
	positive := []struct {
		field string
		v     int64
	}{
		{"Consumers", int64(c.Consumers)}, {"BatchSize", int64(c.BatchSize)}, {"FetchBytes", int64(c.FetchBytes)},
		{"PollInterval", int64(c.PollInterval)}, {"CommitEvery", int64(c.CommitEvery)}, {"DrainTimeout", int64(c.DrainTimeout)},
		{"SessionTimeout", int64(c.SessionTimeout)},
		{"PublishBatchCount", int64(c.PublishBatchCount)}, {"PublishBatchBytes", int64(c.PublishBatchBytes)},
		{"PublishTimeout", int64(c.PublishTimeout)}, {"MaxOutstandingBytes", int64(c.MaxOutstandingBytes)},
		{"MaxOutstandingMessages", int64(c.MaxOutstandingMessages)}, {"MaxMessageBytes", int64(c.MaxMessageBytes)},
		{"MaxHeldBytes", int64(c.MaxHeldBytes)},
		{"DedupMax", int64(c.DedupMax)}, {"CountsInterval", int64(c.CountsInterval)},
	}
	for _, p := range positive {
		chk.Positive(p.field, p.v)
	}
	if c.MaxHeldBytes < c.MaxMessageBytes {
		chk.Fail("MaxHeldBytes", "(%d) must hold one message of %s (%d)", c.MaxHeldBytes, config.Ref("MaxMessageBytes"), c.MaxMessageBytes)
	}
	if c.MaxOutstandingBytes < c.MaxMessageBytes {
		chk.Fail("MaxOutstandingBytes", "(%d) must hold one message of %s (%d)", c.MaxOutstandingBytes, config.Ref("MaxMessageBytes"), c.MaxMessageBytes)
	}
	chk.Require("PubSubProject", c.PubSubProject)
	chk.Require("PubSubTopic", c.PubSubTopic)
	chk.Require("DeadLetterTopic", c.DeadLetterTopic)
	return chk.Err()
}

// LogValue describes c for logs without its secrets.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Any("brokers", c.Brokers), slog.String("group", c.Group),
		slog.String("topic", c.KafkaTopic), slog.Any("topics", c.Topics), slog.String("topic_regex", c.TopicRegex),
		slog.Int("consumers", c.Consumers), slog.Int("batch_size", c.BatchSize),
		slog.Bool("tls", c.TLS), slog.String("sasl_mechanism", c.SASLMechanism), slog.String("sasl_user", c.SASLUser),
		slog.String("pubsub_project", c.PubSubProject), slog.String("pubsub_topic", c.PubSubTopic),
		slog.String("deadletter_topic", c.DeadLetterTopic), slog.Bool("dedup_replay", c.DedupReplay),
		slog.String("counts_bucket", c.CountsBucket),
	)
}
