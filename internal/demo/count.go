package demo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"cloud.google.com/go/bigquery"
	"cloud.google.com/go/civil"
	"cloud.google.com/go/storage"
	"github.com/IBM/sarama"
	"google.golang.org/api/iterator"

	"github.com/ztfbridge/ztfbridge/bqloader"
	"github.com/ztfbridge/ztfbridge/connector"
	"github.com/ztfbridge/ztfbridge/internal/night"
	"github.com/ztfbridge/ztfbridge/internal/stack"
)

// Counts is one night at every stage of the pipeline.
type Counts struct {
	Night           string `json:"night"`             // YYYYMMDD
	Kafka           int64  `json:"kafka"`             // messages in the night's Kafka topic, replay included
	PubSub          int64  `json:"pubsub"`            // messages the connector published (its own record)
	GCS             int64  `json:"gcs"`               // alert objects of the night in the bucket
	BigQueryRows    int64  `json:"bigquery_rows"`     // rows of the night in the analysts' view
	BigQueryRawRows int64  `json:"bigquery_raw_rows"` // rows of the night in the raw table, duplicates included
	Distinct        int64  `json:"distinct_candids"`  // distinct candids of the night in BigQuery
}

// Count counts night on the stack. Call it when nothing is loading: on
// the emulator a query during an append breaks BigQuery.
func Count(ctx context.Context, s *stack.Stack, n Names, date time.Time) (Counts, error) {
	topic := night.Topic(date)
	c := Counts{Night: date.Format(night.Layout)}
	var errs []error
	var err error
	if c.Kafka, err = kafkaMessages(s.Kafka.Addrs(), topic); err != nil {
		errs = append(errs, err)
	}
	gcs, err := s.GCS.Client(ctx)
	if err != nil {
		return c, err
	}
	defer gcs.Close()
	bucket := gcs.Bucket(n.Bucket)
	if counts, err := connector.ReadCounts(ctx, bucket, topic); err == nil {
		c.PubSub = counts.Published
	} else if !errors.Is(err, storage.ErrObjectNotExist) {
		errs = append(errs, err)
	}
	if c.GCS, err = objects(ctx, bucket, topic+"_"); err != nil {
		errs = append(errs, err)
	}
	bq, err := s.BigQuery.Client(ctx)
	if err != nil {
		return c, err
	}
	defer bq.Close()
	day := civil.DateOf(date).String()
	for _, q := range []struct {
		table string
		rows  *int64
	}{{bqloader.AlertsView, &c.BigQueryRows}, {bqloader.RawTable, &c.BigQueryRawRows}} {
		sql := fmt.Sprintf("SELECT COUNT(*), COUNT(DISTINCT candid) FROM `%s.%s.%s` WHERE night = DATE '%s'", s.BigQuery.Project, n.Dataset, q.table, day)
		it, err := bq.Query(sql).Read(ctx)
		if err != nil {
			errs = append(errs, fmt.Errorf("bigquery %s: %w", q.table, err))
			continue
		}
		var row []bigquery.Value
		if err := it.Next(&row); err != nil {
			errs = append(errs, fmt.Errorf("bigquery %s: %w", q.table, err))
			continue
		}
		*q.rows, c.Distinct = row[0].(int64), row[1].(int64)
	}
	return c, errors.Join(errs...)
}

// kafkaMessages sums the partitions' newest minus oldest offsets.
func kafkaMessages(brokers []string, topic string) (int64, error) {
	cfg := sarama.NewConfig()
	cfg.Version = sarama.V2_8_0_0
	client, err := sarama.NewClient(brokers, cfg)
	if err != nil {
		return 0, err
	}
	defer client.Close()
	parts, err := client.Partitions(topic)
	if err != nil {
		return 0, fmt.Errorf("kafka %s: %w", topic, err)
	}
	var n int64
	for _, p := range parts {
		newest, err := client.GetOffset(topic, p, sarama.OffsetNewest)
		if err != nil {
			return 0, err
		}
		oldest, err := client.GetOffset(topic, p, sarama.OffsetOldest)
		if err != nil {
			return 0, err
		}
		n += newest - oldest
	}
	return n, nil
}

// objects counts the .avro objects of bucket whose names start with prefix.
func objects(ctx context.Context, bucket *storage.BucketHandle, prefix string) (int64, error) {
	it := bucket.Objects(ctx, &storage.Query{Prefix: prefix})
	var n int64
	for {
		o, err := it.Next()
		if errors.Is(err, iterator.Done) {
			return n, nil
		}
		if err != nil {
			return n, fmt.Errorf("gcs: %w", err)
		}
		if strings.HasSuffix(o.Name, ".avro") {
			n++
		}
	}
}
