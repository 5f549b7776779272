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
	"github.com/ztfbridge/ztfbridge/internal/core/bqrow"
)

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
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	o := bqrow.Options{Cutouts: true}
	schema := bqrow.Schema(o)
	bq, c, table := emulatorTable(ctx, t, o)
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

	it, err := c.Query(fmt.Sprintf("SELECT * FROM `%s.%s`", table.DatasetID, table.TableID)).Read(ctx)
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
