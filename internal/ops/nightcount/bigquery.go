package nightcount

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"cloud.google.com/go/bigquery"
	"google.golang.org/api/iterator"
	"google.golang.org/api/option"

	"github.com/ztfbridge/ztfbridge/internal/core/deps"
	"github.com/ztfbridge/ztfbridge/internal/core/night"
)

// countBigQuery counts the rows and distinct candids of the night in
// cfg.Table. A missing table is an error: a wrong --dataset or --table, or
// a loader that never ran.
func countBigQuery(ctx context.Context, cfg Config, d deps.Set, day night.Night) (rows, candids *int64, err error) {
	client, err := cfg.BigQueryClient(ctx, d.BigQuery...)
	if err != nil {
		return nil, nil, err
	}
	defer client.Close()

	it, err := cfg.NightQuery(client, "COUNT(*) AS n_rows, COUNT(DISTINCT candid) AS candids", cfg.Table, "", day).Read(ctx)
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

// BigQueryClient returns a client of c's BigQuery project: the endpoint
// BigQueryAPI without authentication when it is set, Google's with
// Application Default Credentials otherwise, then more. The caller closes it.
func (c Config) BigQueryClient(ctx context.Context, more ...option.ClientOption) (*bigquery.Client, error) {
	var opts []option.ClientOption
	if c.BigQueryAPI != "" {
		opts = append(opts, option.WithEndpoint(c.BigQueryAPI), option.WithoutAuthentication())
	}
	client, err := bigquery.NewClient(ctx, c.Project, append(opts, more...)...)
	if err != nil {
		return nil, fmt.Errorf("bigquery client: %w", err)
	}
	return client, nil
}

// NightQuery returns the query
//
//	SELECT columns FROM `project.dataset.table` WHERE night = @night tail
//
// of c's dataset for day: one partition of alerts_raw, and of the views on
// it. tail may add GROUP BY, HAVING or ORDER BY.
func (c Config) NightQuery(client *bigquery.Client, columns, table, tail string, day night.Night) *bigquery.Query {
	q := client.Query(strings.TrimSpace(fmt.Sprintf("SELECT %s FROM `%s.%s.%s` WHERE night = @night %s", columns, c.Project, c.Dataset, table, tail)))
	q.Parameters = []bigquery.QueryParameter{{Name: "night", Value: day.Civil()}}
	return q
}
