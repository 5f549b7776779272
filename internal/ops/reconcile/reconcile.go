package reconcile

import (
	"context"
	"flag"
	"strings"
	"time"

	"github.com/ztfbridge/ztfbridge/bqloader"
	"github.com/ztfbridge/ztfbridge/connector"
	"github.com/ztfbridge/ztfbridge/functions"
	"github.com/ztfbridge/ztfbridge/internal/core/config"
	"github.com/ztfbridge/ztfbridge/internal/core/deps"
	"github.com/ztfbridge/ztfbridge/internal/core/night"
	"github.com/ztfbridge/ztfbridge/internal/ops/nightcount"
)

// Config says where the stages are and how to read and repair them.
// DefaultConfig holds the defaults; every field is a flag (AddFlags). What
// is not a setting (logger, Google client options) is an deps.Option of Run and
// Repair.
type Config struct {
	// Stages are Kafka, the bucket and BigQuery, with the flags and
	// defaults of "ztfbridge count" (--brokers, --tls..., --sasl...,
	// --bucket, --project, --dataset, --table, --bigquery-api). Table is
	// the view of one row per candid. An empty Brokers, Bucket or Project
	// leaves its stage out.
	Stages nightcount.Config

	RawTable         string        // --raw-table: the table the loader writes, where duplicates are counted
	QuarantinePrefix string        // --quarantine-prefix: the function's quarantine folder
	MaxMessageBytes  int           // --max-message-bytes: larger Kafka messages are dead letters, as for the connector
	Progress         time.Duration // --progress: how often the Kafka pass logs how far it is; 0 = never

	// Repair.
	PubSubProject string // --pubsub-project: project of the alert topic
	PubSubTopic   string // --pubsub-topic: the alert topic the connector publishes to
}

// clientID names reconcile's reader in the brokers' logs.
const clientID = "ztfbridge-reconcile"

// DefaultConfig returns the names of a terraform deployment and the
// connector's and the function's defaults; no stage is configured.
func DefaultConfig() Config {
	stages := nightcount.DefaultConfig()
	stages.ClientID = clientID
	cc := connector.DefaultConfig()
	return Config{
		Stages:           stages,
		RawTable:         bqloader.RawTable,
		QuarantinePrefix: functions.DefaultConfig().QuarantinePrefix,
		MaxMessageBytes:  cc.MaxMessageBytes,
		Progress:         10 * time.Second,
		PubSubTopic:      cc.PubSubTopic,
	}
}

// AddFlags defines one flag per field of c on fs (and so, with
// internal/core/config, one ZTFBRIDGE_* variable), with c's values as defaults.
func (c *Config) AddFlags(fs *flag.FlagSet) {
	c.Stages.AddFlags(fs)
	fs.StringVar(&c.RawTable, "raw-table", c.RawTable, "BigQuery `table` the loader writes every row to; candids with several rows there are reported")
	fs.StringVar(&c.QuarantinePrefix, "quarantine-prefix", c.QuarantinePrefix, "object name `prefix` under which the function keeps messages that are not alerts\n(<prefix><topic>/<sha256>.bin)")
	fs.IntVar(&c.MaxMessageBytes, "max-message-bytes", c.MaxMessageBytes, "Kafka messages larger than this are dead letters (too_large), as for the connector's flag of the same name")
	fs.DurationVar(&c.Progress, "progress", c.Progress, "how often reading Kafka logs how far it is; 0 = never")
	fs.StringVar(&c.PubSubProject, "pubsub-project", c.PubSubProject, "Google Cloud project of the alert topic (--repair; default: --project)")
	fs.StringVar(&c.PubSubTopic, "pubsub-topic", c.PubSubTopic, "Pub/Sub alert topic that --repair publishes to, the connector's")
}

// Validate reports every setting that cannot work, joined. It changes
// nothing; Run and Repair call it.
func (c Config) Validate() error {
	var chk config.Check
	chk.Positive("MaxMessageBytes", int64(c.MaxMessageBytes))
	if c.Stages.Bucket != "" && !strings.HasSuffix(c.QuarantinePrefix, "/") {
		chk.Fail("QuarantinePrefix", "%q must end in /", c.QuarantinePrefix)
	}
	chk.Nest("Stages", c.Stages.Validate())
	return chk.Err()
}

// Stage names a stage in reports and in --stage.
type Stage string

// The stages.
const (
	StageKafka    Stage = "kafka"
	StageGCS      Stage = "gcs"
	StageBigQuery Stage = "bigquery"
)

// Report is one night at every stage read and how the stages differ.
// Missing and Unexpected may hold a whole night (32 and 16 bytes an entry); the
// rest is small.
type Report struct {
	Night night.Night `json:"night"` // YYYYMMDD
	Topic string      `json:"topic"`

	// A nil stage was not configured; Kafka.Retained is false when the
	// brokers no longer have the topic.
	Kafka    *KafkaStage    `json:"kafka"`
	GCS      *GCSStage      `json:"gcs"`
	BigQuery *BigQueryStage `json:"bigquery"`

	// Missing are the candids some read stage lacks among those any stage
	// holds, in candid order: the alerts of Kafka (dead letters are not
	// alerts) and any alert stored in GCS or BigQuery.
	Missing []Missing `json:"-"`
	// Unexpected are the candids stored in GCS or BigQuery that the
	// retained topic does not hold (none when Kafka was not read): an
	// expired head of the topic (Kafka.Partial), or something not written
	// from this night's topic.
	Unexpected []Unexpected `json:"-"`
}

// Missing is a candid absent from some stage.
type Missing struct {
	Candid int64
	Kafka  Position // the alert's first message, when InKafka
	From   Stages   // the stages that lack it
	// InKafka says that Kafka holds the alert at Kafka; otherwise it is
	// stored in a stage and absent from the retained topic.
	InKafka bool
}

// Unexpected is a candid stored in a stage and absent from Kafka.
type Unexpected struct {
	Candid int64
	In     Stages
}

// Stages is a set of stages.
type Stages uint8

// The members of Stages.
const (
	InGCS Stages = 1 << iota
	InBigQuery
)

// Has reports whether s holds every stage of t.
func (s Stages) Has(t Stages) bool { return s&t == t }

// Names are the stages of s, as in --stage.
func (s Stages) Names() []Stage {
	var l []Stage
	if s.Has(InGCS) {
		l = append(l, StageGCS)
	}
	if s.Has(InBigQuery) {
		l = append(l, StageBigQuery)
	}
	return l
}

func (s Stages) String() string {
	var l []string
	for _, n := range s.Names() {
		l = append(l, string(n))
	}
	return strings.Join(l, ",")
}

// OK reports that every alert is in every stage read.
func (r *Report) OK() bool { return len(r.Missing) == 0 }

// MissingFrom counts the missing candids of each stage.
func (r *Report) MissingFrom(s Stages) int {
	return countIn(r.Missing, s, func(m Missing) Stages { return m.From })
}

// UnexpectedIn counts the unexpected candids of each stage.
func (r *Report) UnexpectedIn(s Stages) int {
	return countIn(r.Unexpected, s, func(u Unexpected) Stages { return u.In })
}

// countIn counts the entries of list whose stages include s.
func countIn[T any](list []T, s Stages, stages func(T) Stages) int {
	n := 0
	for _, e := range list {
		if stages(e).Has(s) {
			n++
		}
	}
	return n
}

// Run reads the night of day at every configured stage, concurrently, and
// compares them. The error joins the failures of configured stages; the
// Report holds the stages that were read even then, but no comparison.
//
// Of opts it uses the logger and the Pub/Sub, storage and BigQuery options.
func Run(ctx context.Context, cfg Config, day night.Night, opts ...deps.Option) (*Report, error) {
	j, err := newJob(cfg, opts)
	if err != nil {
		return nil, err
	}
	topic := day.Topic()
	r := &Report{Night: day, Topic: topic}
	var stages nightcount.StageGroup
	stages.Go(string(StageKafka), len(cfg.Stages.Brokers) > 0, func() (err error) {
		r.Kafka, err = readKafka(ctx, j, topic)
		return err
	})
	stages.Go(string(StageGCS), cfg.Stages.Bucket != "", func() (err error) {
		r.GCS, err = readGCS(ctx, j, topic)
		return err
	})
	stages.Go(string(StageBigQuery), cfg.Stages.Project != "", func() (err error) {
		r.BigQuery, err = readBigQuery(ctx, j, day)
		return err
	})
	if err := stages.Wait(); err != nil {
		return r, err
	}
	r.compare()
	return r, nil
}

// compare walks the sorted candids of the stages together and fills
// Missing and Unexpected.
func (r *Report) compare() {
	var k []kafkaAlert
	var g, b []int64
	kafka := r.Kafka != nil && r.Kafka.Retained
	if kafka {
		k = r.Kafka.alerts
	}
	if r.GCS != nil {
		g = r.GCS.candids
	}
	if r.BigQuery != nil {
		b = r.BigQuery.candids
	}
	var read Stages
	if r.GCS != nil {
		read |= InGCS
	}
	if r.BigQuery != nil {
		read |= InBigQuery
	}
	const none = int64(^uint64(0) >> 1) // above every candid
	head := func(s []int64) int64 {
		if len(s) == 0 {
			return none
		}
		return s[0]
	}
	for len(k) > 0 || len(g) > 0 || len(b) > 0 {
		c := min(head(g), head(b))
		if len(k) > 0 {
			c = min(c, k[0].candid)
		}
		var in Stages
		m := Missing{Candid: c}
		if len(k) > 0 && k[0].candid == c {
			m.InKafka, m.Kafka = true, Position{Partition: k[0].partition, Offset: k[0].offset}
			k = k[1:]
		}
		if head(g) == c {
			in |= InGCS
			g = g[1:]
		}
		if head(b) == c {
			in |= InBigQuery
			b = b[1:]
		}
		if m.From = read &^ in; m.From != 0 {
			r.Missing = append(r.Missing, m)
		}
		if kafka && !m.InKafka {
			r.Unexpected = append(r.Unexpected, Unexpected{Candid: c, In: in})
		}
	}
}
