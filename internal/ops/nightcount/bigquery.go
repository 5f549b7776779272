package nightcount

import (
	"context"
	"errors"
	"fmt"
	"time"

	"cloud.google.com/go/bigquery"
	"cloud.google.com/go/civil"
	"google.golang.org/api/iterator"
	"google.golang.org/api/option"
)

// countBigQuery counts the rows and distinct candids of the night in
// cfg.Table. A missing table is an error: a wrong --dataset or --table, or
// a loader that never ran.
func countBigQuery(ctx context.Context, cfg Config, day time.Time) (rows, candids *int64, err error) {
	var opts []option.ClientOption
	if cfg.BigQueryAPI != "" {
		opts = append(opts, option.WithEndpoint(cfg.BigQueryAPI), option.WithoutAuthentication())
	}
	client, err := bigquery.NewClient(ctx, cfg.Project, append(opts, cfg.BigQueryOptions...)...)
	if err != nil {
		return nil, nil, fmt.Errorf("bigquery client: %w", err)
	}
	defer client.Close()

	q := client.Query(fmt.Sprintf("SELECT COUNT(*) AS n_rows, COUNT(DISTINCT candid) AS candids FROM `%s.%s.%s` WHERE night = @night",
		cfg.Project, cfg.Dataset, cfg.Table))
	q.Parameters = []bigquery.QueryParameter{{Name: "night", Value: civil.DateOf(day)}}
	it, err := q.Read(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("query %s.%s: %w", cfg.Dataset, cfg.Table, err)
	}
	var r struct {
		Rows    int64 `bigquery:"n_rows"`
		Candids int64 `bigquery:"candids"`
	}
	if err := it.Next(&r); err != nil && !errors.Is(err, iterator.Done) {
		return nil, nil, fmt.Errorf("read count: %w", err)
	}
	return &r.Rows, &r.Candids, nil
}
