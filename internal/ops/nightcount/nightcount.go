package nightcount

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/ztfbridge/ztfbridge/bqloader"
	"github.com/ztfbridge/ztfbridge/internal/core/deps"
	"github.com/ztfbridge/ztfbridge/internal/core/kafkaclient"
	"github.com/ztfbridge/ztfbridge/internal/core/night"
)

// Config says where each stage lives. An empty Brokers, Bucket or Project
// leaves its stages uncounted (n/a). DefaultConfig holds the defaults.
type Config struct {
	// Config reaches Kafka (brokers, version, TLS, SASL); no Brokers =
	// Kafka n/a.
	kafkaclient.Config

	// Bucket holds the alert objects and the connector's records;
	// empty = Pub/Sub and Cloud Storage n/a. The storage client honours
	// STORAGE_EMULATOR_HOST (and WithStorageOptions).
	Bucket string

	Project     string // BigQuery project; empty = BigQuery n/a
	Dataset     string // BigQuery dataset
	Table       string // table or view counted; the alerts view has one row per candid
	BigQueryAPI string // BigQuery REST endpoint; empty = Google's, with Application Default Credentials
}

// DefaultConfig returns the names of a terraform deployment (docs/deploy.md):
// dataset ztf, the alerts view, Kafka's kafkaclient.DefaultConfig; no
// stage is configured.
func DefaultConfig() Config {
	k := kafkaclient.DefaultConfig()
	k.ClientID = "ztfbridge-count"
	return Config{Config: k, Dataset: "ztf", Table: bqloader.AlertsView}
}

// Validate reports every setting that cannot work, joined: those of Kafka
// when Brokers are set. Count calls it.
func (c Config) Validate() error {
	if len(c.Brokers) == 0 {
		return nil
	}
	return c.Config.Validate()
}

// StageCounts counts one night at every stage. A nil field is a stage that was not
// counted (not configured, or nothing there for the night), printed "n/a".
type StageCounts struct {
	Night night.Night `json:"night"` // YYYYMMDD
	Topic string      `json:"topic"` // ztf_YYYYMMDD_programid1

	KafkaMessages    *int64 `json:"kafka_messages"`    // retained messages of the topic, replay included
	PubSubPublished  *int64 `json:"pubsub_published"`  // acknowledged on the alert topic (connector record)
	PubSubDeadLetter *int64 `json:"pubsub_deadletter"` // acknowledged on the dead-letter topic (connector record)
	GCSObjects       *int64 `json:"gcs_objects"`       // alert objects of the night
	BigQueryRows     *int64 `json:"bigquery_rows"`     // rows of Config.Table for the night
	DistinctCandids  *int64 `json:"distinct_candids"`  // distinct candids among them
}

// Count counts night at every configured stage, concurrently. The error joins
// the failures of configured stages; the returned StageCounts hold every stage
// that succeeded even then.
//
// Of opts it uses the storage and BigQuery options.
func Count(ctx context.Context, cfg Config, day night.Night, opts ...deps.Option) (StageCounts, error) {
	topic := day.Topic()
	c := StageCounts{Night: day, Topic: topic}
	if err := cfg.Validate(); err != nil {
		return c, fmt.Errorf("nightcount: %w", err)
	}
	d := deps.New(opts...)
	var stages StageGroup
	stages.Go("kafka", len(cfg.Brokers) > 0, func() (err error) {
		c.KafkaMessages, err = countKafka(cfg, topic)
		return err
	})
	stages.Go("cloud storage", cfg.Bucket != "", func() (err error) {
		c.PubSubPublished, c.PubSubDeadLetter, c.GCSObjects, err = countBucket(ctx, cfg, d, topic)
		return err
	})
	stages.Go("bigquery", cfg.Project != "", func() (err error) {
		c.BigQueryRows, c.DistinctCandids, err = countBigQuery(ctx, cfg, d, day)
		return err
	})
	return c, stages.Wait()
}

// StageGroup reads the stages of a night at once: Go starts each one
// that is configured, Wait returns when all are done with their errors
// joined, each prefixed by its stage's name. The zero StageGroup is ready.
type StageGroup struct {
	wg   sync.WaitGroup
	mu   sync.Mutex
	errs []error
}

// Go runs read in a goroutine of its own when configured is true, and
// does nothing otherwise.
func (g *StageGroup) Go(name string, configured bool, read func() error) {
	if !configured {
		return
	}
	g.wg.Go(func() {
		if err := read(); err != nil {
			g.mu.Lock()
			g.errs = append(g.errs, fmt.Errorf("%s: %w", name, err))
			g.mu.Unlock()
		}
	})
}

// Wait waits for every read that Go started and returns their errors,
// joined; nil when all succeeded.
func (g *StageGroup) Wait() error {
	g.wg.Wait()
	return errors.Join(g.errs...)
}
