// Package backfill re-ingests a past night: it runs the connector on the
// night's Kafka topic alone, with a consumer group of its own, until that
// group has committed every message the topic held when the backfill began,
// then stops the connector gracefully (drain, commit, last counts). It is what
// "ztfbridge backfill --night YYYYMMDD" runs.
//
// # Why it duplicates nothing
//
// A backfill publishes the whole night to Pub/Sub again, alerts already stored
// included. Nothing downstream is stored twice: the function writes each
// object with the precondition DoesNotExist, so an alert already in the bucket
// is a "duplicate" outcome and no write (package functions); the loader skips
// candids it already wrote and the alerts view keeps one row per candid
// (package bqloader, bqloader/sql/alerts.sql). What does grow is the
// connector's record of the topic (Pub/Sub messages in "ztfbridge count"):
// it counts publishes, and the backfill's are publishes too.
//
// # When it can run
//
// Only while ZTF's brokers still retain the topic (days, not months): a topic
// they no longer have is an error, and a partly expired one re-ingests what is
// left. The fresh group starts at each partition's oldest offset and does not
// disturb the nightly connector's group. An interrupted backfill (SIGTERM)
// has committed what Pub/Sub acknowledged; run it again with the same Group to
// resume instead of starting over.
package backfill

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"github.com/IBM/sarama"

	"github.com/ztfbridge/ztfbridge/connector"
	"github.com/ztfbridge/ztfbridge/internal/core/config"
	"github.com/ztfbridge/ztfbridge/internal/core/deps"
	"github.com/ztfbridge/ztfbridge/internal/core/kafkaclient"
	"github.com/ztfbridge/ztfbridge/internal/core/night"
)

// Config is a backfill's settings; DefaultConfig holds the defaults.
type Config struct {
	// Connector holds the Kafka, Pub/Sub and counts settings, as for
	// "ztfbridge connect"; connector.New validates them. Its Group,
	// KafkaTopic, Topics and TopicRegex are replaced: the backfill consumes
	// the night's topic with Group below.
	Connector connector.Config
	// Group is the consumer group of the backfill. Empty means a fresh one,
	// ztfbridge-backfill-YYYYMMDD-<unix seconds>, so that a night can be
	// backfilled again; give the group of an interrupted backfill to resume it.
	Group string
	// Poll is how often the group's committed offsets are compared with the
	// end of the topic: a backfill stops at most this long after the group
	// has committed its last message.
	Poll time.Duration
}

// DefaultConfig returns the connector's defaults and a one-second Poll.
func DefaultConfig() Config {
	return Config{Connector: connector.DefaultConfig(), Poll: time.Second}
}

// AddFlags defines the connector's flags and the backfill's own
// (--backfill-group, --backfill-poll) on fs, with c's values as defaults.
func (c *Config) AddFlags(fs *flag.FlagSet) {
	c.Connector.AddFlags(fs)
	fs.StringVar(&c.Group, "backfill-group", c.Group, "consumer `group` of the backfill; empty = a fresh ztfbridge-backfill-YYYYMMDD-<time>.\nGive the group an interrupted backfill printed to resume it")
	fs.DurationVar(&c.Poll, "backfill-poll", c.Poll, "how often the backfill group's committed offsets are compared with the end of the topic")
}

// Validate reports every setting that cannot work, joined: the
// backfill's own and those of the connector it runs (whose topic and
// group the backfill sets). It changes nothing; Run calls it.
func (c Config) Validate() error {
	var chk config.Check
	chk.Positive("Poll", int64(c.Poll))
	chk.Nest("Connector", c.runConnector("backfill", "topic").Validate())
	return chk.Err()
}

// runConnector returns the connector's settings for consuming topic in
// group: the night's topic only.
func (c Config) runConnector(group, topic string) connector.Config {
	cc := c.Connector
	cc.Group, cc.KafkaTopic, cc.Topics, cc.TopicRegex = group, topic, nil, ""
	return cc
}

// Result says what a backfill did.
type Result struct {
	Topic    string        // the night's Kafka topic
	Group    string        // the consumer group that read it
	Messages int64         // messages of the topic when the backfill began (retained ones)
	Elapsed  time.Duration // from start to the connector's stop
}

// Run backfills the night of day and returns once the connector has
// committed every message the topic held at the start, or with an error. When
// ctx ends first, the connector drains and commits what was acknowledged
// and Run returns ctx's error; Result.Group resumes it.
//
// Of opts it uses the logger, and passes every option on to the connector.
func Run(ctx context.Context, cfg Config, day night.Night, opts ...deps.Option) (Result, error) {
	if err := cfg.Validate(); err != nil {
		return Result{}, fmt.Errorf("backfill: %w", err)
	}
	d := deps.New(opts...)
	log := d.Logger
	start := time.Now()
	topic := day.Topic()
	res := Result{Topic: topic, Group: cfg.Group}
	if res.Group == "" {
		res.Group = fmt.Sprintf("ztfbridge-backfill-%s-%d", day, start.Unix())
	}
	cc := cfg.runConnector(res.Group, topic)

	client, err := cc.Config.Connect()
	if err != nil {
		return res, err
	}
	defer client.Close()
	target, err := kafkaclient.Offsets(client, topic)
	if errors.Is(err, sarama.ErrUnknownTopicOrPartition) {
		return res, fmt.Errorf("the brokers no longer retain %s (or never had it): nothing to backfill: %w", topic, sarama.ErrUnknownTopicOrPartition)
	}
	if err != nil {
		return res, err
	}
	for _, r := range target {
		res.Messages += r.Len()
	}
	admin, err := sarama.NewClusterAdminFromClient(client)
	if err != nil {
		return res, fmt.Errorf("kafka admin: %w", err)
	}
	log.Info("backfill starting", "topic", topic, "group", res.Group, "messages", res.Messages)

	c, err := connector.New(ctx, cc, opts...) // the same logger and clients
	if err != nil {
		return res, err
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- c.Run(runCtx) }()

	waitErr := waitCommitted(runCtx, admin, res.Group, topic, target, cfg.Poll, log)
	stop()
	runErr := <-done
	if err := c.Close(); runErr == nil {
		runErr = err
	}
	res.Elapsed = time.Since(start)
	if err := errors.Join(waitErr, runErr); err != nil {
		return res, fmt.Errorf("backfill of %s (group %s, resume with it): %w", topic, res.Group, err)
	}
	log.Info("backfill done", "topic", topic, "group", res.Group, "messages", res.Messages, "elapsed", res.Elapsed)
	return res, nil
}

// waitCommitted returns nil once group has committed at least target's
// Newest on every partition, or ctx's error, or the first error reading
// the offsets.
func waitCommitted(ctx context.Context, admin sarama.ClusterAdmin, group, topic string, target map[int32]kafkaclient.Range, poll time.Duration, log *slog.Logger) error {
	parts := make([]int32, 0, len(target))
	for p := range target {
		parts = append(parts, p)
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		lag, err := remaining(admin, group, topic, parts, target)
		if err != nil {
			return err
		}
		if lag == 0 {
			return nil
		}
		log.Debug("backfill progress", "topic", topic, "group", group, "remaining", lag)
		select {
		case <-ctx.Done():
			return fmt.Errorf("stopped with %d messages to go: %w", lag, ctx.Err())
		case <-t.C:
		}
	}
}

// remaining is how many messages below target group has not committed.
func remaining(admin sarama.ClusterAdmin, group, topic string, parts []int32, target map[int32]kafkaclient.Range) (int64, error) {
	resp, err := admin.ListConsumerGroupOffsets(group, map[string][]int32{topic: parts})
	switch {
	case errors.Is(err, sarama.ErrGroupIDNotFound):
		resp = nil // nothing committed yet
	case err != nil:
		return 0, fmt.Errorf("committed offsets of group %s: %w", group, err)
	}
	var lag int64
	for _, p := range parts {
		committed := target[p].Oldest
		if resp != nil {
			if b := resp.GetBlock(topic, p); b != nil && b.Offset >= 0 {
				committed = max(b.Offset, committed)
			}
		}
		lag += max(target[p].Newest-committed, 0)
	}
	return lag, nil
}
