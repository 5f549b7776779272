package bqrow_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/bigquery"
	"cloud.google.com/go/bigquery/storage/managedwriter"
	"google.golang.org/api/iterator"

	"github.com/ztfbridge/ztfbridge/bqloader"
	"github.com/ztfbridge/ztfbridge/internal/core/alert"
	"github.com/ztfbridge/ztfbridge/internal/core/alert/alerttest"
	"github.com/ztfbridge/ztfbridge/internal/core/attr"
	"github.com/ztfbridge/ztfbridge/internal/core/bqrow"
	"github.com/ztfbridge/ztfbridge/internal/dev/stack"
	"github.com/ztfbridge/ztfbridge/internal/dev/stack/stacktest"
)

// TestEmulatorRoundTrip creates the alerts table from Schema in the
// BigQuery emulator, streams the rows of every real alert into it and
// reads them back: the table takes every row, and candids come back exact.
func TestEmulatorRoundTrip(t *testing.T) {
	ctx, e := newEmulatorTable(t, 10*time.Minute)
	o, ds := e.opts, e.c.Dataset(e.table.DatasetID)

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
	if err := e.table.Inserter().Put(ctx, rows); err != nil {
		t.Fatalf("insert %d rows: %v", len(rows), err)
	}

	q := e.c.Query(`SELECT candid, objectId, ARRAY_LENGTH(prv_candidates) AS prv,
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

// emulatorTable is a dataset of a test's own in the BigQuery emulator, and
// there the alerts table of Schema(opts), partitioned by night.
type emulatorTable struct {
	bq    *stack.BigQuery
	c     *bigquery.Client // closed when the test ends
	table *bigquery.Table
	opts  bqrow.Options // the cutouts included
}

// newEmulatorTable starts the BigQuery emulator and creates the test's
// table in it. The context it returns ends with the test or after timeout.
func newEmulatorTable(t *testing.T, timeout time.Duration) (context.Context, emulatorTable) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	t.Cleanup(cancel)
	e := emulatorTable{bq: stacktest.BigQuery(t), opts: bqrow.Options{Cutouts: true}}
	var err error
	if e.c, err = e.bq.Client(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.c.Close() })
	ds := e.c.Dataset(stacktest.Name(t, "ztf"))
	if err := ds.Create(ctx, nil); err != nil {
		t.Fatal(err)
	}
	e.table = ds.Table("alerts")
	if err := e.table.Create(ctx, &bigquery.TableMetadata{
		Schema:           bqrow.Schema(e.opts),
		TimePartitioning: &bigquery.TimePartitioning{Field: bqrow.ColNight},
	}); err != nil {
		t.Fatal(err)
	}
	return ctx, e
}

// TestEmulatorFidelity writes the rows of two packets of each writer
// schema version to the BigQuery emulator the way the loader does
// (bqloader.RowEncoder and the Storage Write API's default stream), reads
// them back with SELECT * and compares every column that comes back with
// goavro's reading of the packet, as TestFidelity does with the rows.
//
// Then it writes the packet with NaN and infinities, which the emulator
// cannot hold: it stores a RECORD column as JSON, which has no NaN or
// Infinity, and refuses the whole append ("json: unsupported value").
// BigQuery's FLOAT64 holds NaN, Infinity and -Infinity, and the Storage
// Write API carries them as the proto doubles the row encoder writes.
func TestEmulatorFidelity(t *testing.T) {
	ctx, e := newEmulatorTable(t, 5*time.Minute)
	o, bq, table := e.opts, e.bq, e.table
	schema := bqrow.Schema(o)
	enc, err := bqloader.NewRowEncoder(schema)
	if err != nil {
		t.Fatal(err)
	}
	mw, err := managedwriter.NewClient(ctx, bq.Project, bq.StorageWriteOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	defer mw.Close()
	stream, err := mw.NewManagedStream(ctx, managedwriter.WithType(managedwriter.DefaultStream),
		managedwriter.WithDestinationTable(managedwriter.TableParentFromParts(bq.Project, table.DatasetID, table.TableID)),
		managedwriter.WithSchemaDescriptor(enc.Descriptor()))
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()

	// The first record of two packets per version, and the non-finite one.
	packets := map[string][]byte{}
	perVersion := map[string]int{}
	for _, e := range alerttest.Manifest(t) {
		if !e.Broken() && perVersion[e.SchemaVersion] < 2 {
			perVersion[e.SchemaVersion]++
			packets[e.Path] = e.Read(t)
		}
	}
	type sent struct {
		where    string
		rec      map[string]any
		unmapped map[string]bool
	}
	wants := map[int64]sent{}
	d := alert.NewDecoder()
	var rows [][]byte
	for path, b := range packets {
		alerts, err := d.Decode(b)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		a := alerts[0]
		if _, dup := wants[a.Candid]; dup {
			continue // the same alert from another broker
		}
		unmapped := map[string]bool{}
		for _, u := range a.Writer.Unmapped {
			unmapped[u] = true
		}
		wants[a.Candid] = sent{path, packetRecords(t, b)[0], unmapped}
		row, err := enc.Encode(bqrow.New(a, bqrow.Ingest{}, o).Values())
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		rows = append(rows, row)
	}
	for len(rows) > 0 { // appends below the emulator's 4 MB
		n := min(len(rows), 8)
		res, err := stream.AppendRows(ctx, rows[:n])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := res.GetResult(ctx); err != nil {
			t.Fatal(err)
		}
		rows = rows[n:]
	}

	it, err := e.c.Query(fmt.Sprintf("SELECT * FROM `%s.%s`", table.DatasetID, table.TableID)).Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f := fidelity{}
	got := 0
	for {
		row := map[string]bigquery.Value{}
		err := it.Next(&row)
		if errors.Is(err, iterator.Done) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got++
		candid, _ := row["candid"].(int64)
		w, ok := wants[candid]
		if !ok {
			t.Errorf("candid %v came back but was not written", row["candid"])
			continue
		}
		f.unmapped = w.unmapped
		f.record(t, w.where, "", schema, w.rec, row)
	}
	if got != len(wants) {
		t.Errorf("%d rows came back, %d written", got, len(wants))
	}
	t.Logf("%d rows from %d versions: %d values equal, %d NULL where the packet has no value",
		got, len(perVersion), f.values, f.nulls)

	alerts, err := d.Decode(nonFinitePacket(t))
	if err != nil {
		t.Fatal(err)
	}
	row, err := enc.Encode(bqrow.New(alerts[0], bqrow.Ingest{}, o).Values())
	if err != nil {
		t.Fatal(err)
	}
	res, err := stream.AppendRows(ctx, [][]byte{row})
	if err == nil {
		_, err = res.GetResult(ctx)
	}
	if err == nil || !strings.Contains(err.Error(), "unsupported value") {
		t.Errorf("the emulator answers %v to NaN and ±Inf; docs/bigquery.md says it refuses them: update it", err)
	}
}
