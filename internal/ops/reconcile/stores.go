package reconcile

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"cloud.google.com/go/storage"
	"google.golang.org/api/iterator"

	"github.com/ztfbridge/ztfbridge/internal/core/attr"
	"github.com/ztfbridge/ztfbridge/internal/core/message"
	"github.com/ztfbridge/ztfbridge/internal/core/night"
	"github.com/ztfbridge/ztfbridge/internal/ops/nightcount"
)

// GCSStage is what the bucket holds of the night.
type GCSStage struct {
	Stored      int           `json:"stored"`      // alert objects <topic>_<candid>.avro
	Strays      []string      `json:"strays"`      // objects of the night's glob whose name holds no candid
	Quarantined []Quarantined `json:"quarantined"` // objects under <quarantine prefix><topic>/

	candids []int64 // sorted, distinct
}

// Quarantined is a message of the night that the function kept under its
// quarantine prefix instead of storing it as an alert.
type Quarantined struct {
	Name     string         `json:"name"`
	Position *Position      `json:"kafka,omitempty"` // from the object's kafka.* metadata
	Reason   message.Reason `json:"reason"`
	Detail   string         `json:"detail"`
}

// readGCS lists the night's alert objects (names only) and its quarantine
// (names and metadata).
func readGCS(ctx context.Context, cfg job, topic string) (*GCSStage, error) {
	client, err := storage.NewClient(ctx, cfg.Storage...)
	if err != nil {
		return nil, fmt.Errorf("storage client: %w", err)
	}
	defer client.Close()
	bucket := client.Bucket(cfg.Stages.Bucket)

	g := &GCSStage{}
	g.candids, g.Strays, err = nightcount.ObjectCandids(ctx, bucket, topic)
	if err != nil {
		return nil, err
	}
	g.candids = slices.Compact(g.candids)
	g.Stored = len(g.candids)

	q := &storage.Query{Prefix: cfg.QuarantinePrefix + topic + "/"}
	if err := q.SetAttrSelection([]string{"Name", "Metadata"}); err != nil {
		return nil, err
	}
	it := bucket.Objects(ctx, q)
	for {
		o, err := it.Next()
		if errors.Is(err, iterator.Done) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("list gs://%s/%s: %w", cfg.Stages.Bucket, q.Prefix, err)
		}
		qo := Quarantined{Name: o.Name, Reason: message.ReasonOf(o.Metadata), Detail: o.Metadata[attr.Error]}
		if k, err := attr.ParseKafka(o.Metadata); err == nil && k.Topic != "" {
			qo.Position = &Position{Partition: k.Partition, Offset: k.Offset}
		}
		g.Quarantined = append(g.Quarantined, qo)
	}
	return g, nil
}

// BigQueryStage is what BigQuery holds of the night.
type BigQueryStage struct {
	Stored     int         `json:"stored"`     // candids of the night in the view (Table)
	Duplicates []Duplicate `json:"duplicates"` // candids with more than one row in RawTable

	candids []int64 // sorted, distinct
}

// Duplicate is a candid written more than once to alerts_raw; the alerts
// view shows one of its rows.
type Duplicate struct {
	Candid int64 `json:"candid"`
	Rows   int64 `json:"rows"`
}

// readBigQuery reads the candids of the night in the view and the
// duplicated candids of the raw table.
func readBigQuery(ctx context.Context, cfg job, day night.Night) (*BigQueryStage, error) {
	client, err := cfg.Stages.BigQueryClient(ctx, cfg.BigQuery...)
	if err != nil {
		return nil, err
	}
	defer client.Close()
	b := &BigQueryStage{}
	it, err := cfg.Stages.NightQuery(client, "candid", cfg.Stages.Table, "", day).Read(ctx)
	if err != nil {
		return nil, fmt.Errorf("query %s.%s: %w", cfg.Stages.Dataset, cfg.Stages.Table, err)
	}
	for {
		var r struct {
			Candid int64 `bigquery:"candid"`
		}
		err := it.Next(&r)
		if errors.Is(err, iterator.Done) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read candids of %s.%s: %w", cfg.Stages.Dataset, cfg.Stages.Table, err)
		}
		b.candids = append(b.candids, r.Candid)
	}
	slices.Sort(b.candids)
	b.candids = slices.Compact(b.candids)
	b.Stored = len(b.candids)

	it, err = cfg.Stages.NightQuery(client, "candid, COUNT(*) AS n_rows", cfg.RawTable, "GROUP BY candid HAVING COUNT(*) > 1", day).Read(ctx)
	if err != nil {
		return nil, fmt.Errorf("query %s.%s: %w", cfg.Stages.Dataset, cfg.RawTable, err)
	}
	for {
		var r struct {
			Candid int64 `bigquery:"candid"`
			Rows   int64 `bigquery:"n_rows"`
		}
		err := it.Next(&r)
		if errors.Is(err, iterator.Done) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read duplicates of %s.%s: %w", cfg.Stages.Dataset, cfg.RawTable, err)
		}
		b.Duplicates = append(b.Duplicates, Duplicate(r))
	}
	slices.SortFunc(b.Duplicates, func(x, y Duplicate) int { return cmp.Compare(x.Candid, y.Candid) })
	return b, nil
}
