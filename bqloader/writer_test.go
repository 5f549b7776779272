package bqloader

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/bigquery"
	"cloud.google.com/go/bigquery/storage/managedwriter"
	"cloud.google.com/go/civil"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/ztfbridge/ztfbridge/internal/dev/stack"
)

// TestWriterRefusesOnlyNamedRows appends batches holding rows BigQuery
// cannot take (a night in year 5,000,000, beyond what a DATE holds) to the
// emulator, which fails such an append without naming the row, as real
// BigQuery does while a new column propagates. Every other row of the
// batch is written and settled while the bad ones are still being
// retried; the bad ones are never refused, and are handed back (ctx's
// error) only when the write is stopped.
func TestWriterRefusesOnlyNamedRows(t *testing.T) {
	ctx := context.Background()
	bq, err := stack.StartBigQuery(ctx, slog.New(slog.NewTextHandler(io.Discard, nil)), stack.BigQueryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer bq.Close()
	c, err := bq.Client(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	schema := bigquery.Schema{
		{Name: "candid", Type: bigquery.IntegerFieldType},
		{Name: "night", Type: bigquery.DateFieldType},
	}
	if err := c.Dataset("w").Create(ctx, nil); err != nil {
		t.Fatal(err)
	}
	enc, err := NewRowEncoder(schema)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Project: bq.Project, StorageWriteAPI: bq.GRPCAddr}
	client, err := managedwriter.NewClient(ctx, bq.Project, cfg.storageWriteClientOptions(nil)...)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()

	tests := []struct {
		name string
		rows int
		bad  []int
	}{
		{"none refused", 8, nil},
		{"first", 8, []int{0}},
		{"middle", 9, []int{4}},
		{"last and another", 16, []int{3, 15}},
		{"lone row", 1, []int{0}},
		{"all but one", 4, []int{0, 1, 3}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			table := c.Dataset("w").Table("t" + string(rune('a'+i)))
			if err := table.Create(ctx, &bigquery.TableMetadata{Schema: schema}); err != nil {
				t.Fatal(err)
			}
			stream, err := client.NewManagedStream(ctx, managedwriter.WithType(managedwriter.DefaultStream),
				managedwriter.WithDestinationTable(managedwriter.TableParentFromParts(bq.Project, "w", table.TableID)),
				managedwriter.WithSchemaDescriptor(enc.Descriptor()))
			if err != nil {
				t.Fatal(err)
			}
			defer stream.Close()
			w := &writer{
				stream:  stream,
				log:     slog.New(slog.NewTextHandler(io.Discard, nil)),
				metrics: newMetrics(prometheus.NewRegistry()),
				pause:   func(int) time.Duration { return 10 * time.Millisecond },
				timeout: time.Minute,
			}
			isBad := map[int]bool{}
			for _, b := range tt.bad {
				isBad[b] = true
			}
			rows := make([][]byte, tt.rows)
			for i := range rows {
				night := civil.Date{Year: 2024, Month: 7, Day: 15}
				if isBad[i] {
					night.Year = 5_000_000
				}
				if rows[i], err = enc.Encode(map[string]bigquery.Value{"candid": int64(i), "night": night}); err != nil {
					t.Fatal(err)
				}
			}
			wctx, stop := context.WithCancel(ctx)
			defer stop()
			var mu sync.Mutex
			written, handedBack := map[int]bool{}, map[int]bool{}
			// Once every good row is in and the bad ones have failed as
			// often as it takes to split them off, stop retrying them.
			go func() {
				for wctx.Err() == nil {
					mu.Lock()
					good := len(written)
					mu.Unlock()
					if good == tt.rows-len(tt.bad) && testutil.ToFloat64(w.metrics.writeErrors.WithLabelValues(errorUnnamed)) >= rowAttempts {
						stop()
					}
					time.Sleep(10 * time.Millisecond)
				}
			}()
			w.write(wctx, rows, func(i int, refused string, err error) {
				mu.Lock()
				defer mu.Unlock()
				switch {
				case refused != "":
					t.Errorf("row %d refused (%s) though BigQuery named no row", i, refused)
				case err != nil:
					handedBack[i] = true
				default:
					written[i] = true
				}
			})
			for i := range rows {
				if written[i] == isBad[i] || handedBack[i] != isBad[i] {
					t.Errorf("row %d: written %v, handed back %v; bad %v", i, written[i], handedBack[i], isBad[i])
				}
			}
			it, err := c.Query("SELECT COUNT(*) FROM w." + table.TableID).Read(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var n []bigquery.Value
			if err := it.Next(&n); err != nil {
				t.Fatal(err)
			}
			if n[0] != int64(tt.rows-len(tt.bad)) {
				t.Errorf("table holds %v rows, want %d", n[0], tt.rows-len(tt.bad))
			}
		})
	}
}
