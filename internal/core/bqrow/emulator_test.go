package bqrow_test

import (
	"context"
	"testing"
	"time"

	"cloud.google.com/go/bigquery"
	"google.golang.org/api/iterator"

	"github.com/ztfbridge/ztfbridge/internal/core/attr"
	"github.com/ztfbridge/ztfbridge/internal/core/bqrow"
	"github.com/ztfbridge/ztfbridge/internal/dev/stack"
	"github.com/ztfbridge/ztfbridge/internal/dev/stack/stacktest"
)

// TestEmulatorRoundTrip creates the alerts table from Schema in the
// BigQuery emulator, streams the rows of every real alert into it and
// reads them back: the table takes every row, and candids come back exact.
func TestEmulatorRoundTrip(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	o := bqrow.Options{Cutouts: true}
	_, c, table := emulatorTable(ctx, t, o)
	ds := c.Dataset(table.DatasetID)

	type want struct {
		objectID   string
		prv, limit int
		magpsf     float64
	}
	wants := map[int64]want{}
	var rows []*bqrow.Row
	for i, a := range decodeAll(t) {
		if _, dup := wants[a.Candid]; dup {
			continue // the same alert republished by a broker
		}
		wants[a.Candid] = want{a.ObjectID, len(a.PrvCandidates), a.UpperLimits(), float64(a.Candidate.Magpsf)}
		in := bqrow.Ingest{Kafka: attr.Kafka{Topic: a.Topic(), Partition: int32(i % 4), Offset: int64(i), Timestamp: time.UnixMilli(1721000000000 + int64(i))}, IngestTime: time.Now()}
		rows = append(rows, bqrow.New(a, in, o))
	}
	if err := table.Inserter().Put(ctx, rows); err != nil {
		t.Fatalf("insert %d rows: %v", len(rows), err)
	}

	q := c.Query(`SELECT candid, objectId, ARRAY_LENGTH(prv_candidates) AS prv,
		(SELECT COUNT(*) FROM UNNEST(prv_candidates) p WHERE p.candid IS NULL) AS limits,
		candidate.magpsf AS magpsf
		FROM ` + "`" + ds.DatasetID + ".alerts`")
	it, err := q.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := 0
	for {
		var r struct {
			Candid   int64                `bigquery:"candid"`
			ObjectID bigquery.NullString  `bigquery:"objectId"`
			Prv      bigquery.NullInt64   `bigquery:"prv"`
			Limits   int64                `bigquery:"limits"`
			Magpsf   bigquery.NullFloat64 `bigquery:"magpsf"`
		}
		err := it.Next(&r)
		if err == iterator.Done {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got++
		w, ok := wants[r.Candid]
		if !ok {
			t.Errorf("candid %d came back but was not inserted (precision lost?)", r.Candid)
			continue
		}
		if r.ObjectID.StringVal != w.objectID || int(r.Prv.Int64) != w.prv || int(r.Limits) != w.limit {
			t.Errorf("candid %d: objectId %q prv %d limits %d, want %q %d %d", r.Candid, r.ObjectID.StringVal, r.Prv.Int64, r.Limits, w.objectID, w.prv, w.limit)
		}
		if d := r.Magpsf.Float64 - w.magpsf; d > 1e-5 || d < -1e-5 {
			t.Errorf("candid %d: magpsf %v, want %v", r.Candid, r.Magpsf.Float64, w.magpsf)
		}
	}
	if got != len(wants) {
		t.Errorf("%d rows came back, inserted %d", got, len(wants))
	}
}

// emulatorTable starts the BigQuery emulator and creates in it a dataset
// of the test's own and there the alerts table of Schema(o), partitioned
// by night. The client is closed when the test ends.
func emulatorTable(ctx context.Context, t *testing.T, o bqrow.Options) (*stack.BigQuery, *bigquery.Client, *bigquery.Table) {
	t.Helper()
	bq := stacktest.BigQuery(t)
	c, err := bq.Client(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	ds := c.Dataset(stacktest.Name(t, "ztf"))
	if err := ds.Create(ctx, nil); err != nil {
		t.Fatal(err)
	}
	table := ds.Table("alerts")
	if err := table.Create(ctx, &bigquery.TableMetadata{
		Schema:           bqrow.Schema(o),
		TimePartitioning: &bigquery.TimePartitioning{Field: bqrow.ColNight},
	}); err != nil {
		t.Fatal(err)
	}
	return bq, c, table
}
