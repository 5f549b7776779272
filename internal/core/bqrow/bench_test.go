package bqrow_test

import (
	"testing"
	"time"

	"github.com/ztfbridge/ztfbridge/bqloader"
	"github.com/ztfbridge/ztfbridge/internal/core/alert"
	"github.com/ztfbridge/ztfbridge/internal/core/alert/alerttest"
	"github.com/ztfbridge/ztfbridge/internal/core/attr"
	"github.com/ztfbridge/ztfbridge/internal/core/bqrow"
)

// benchRows runs each on the row of the real 4.x alerts in turn, decoded
// beforehand, and reports alerts/s.
func benchRows(b *testing.B, each func(b *testing.B, r *bqrow.Row)) {
	d := alert.NewDecoder()
	var alerts []*alert.Alert
	for _, p := range alerttest.Real(b, "4.") {
		as, err := d.Decode(p)
		if err != nil {
			b.Fatal(err)
		}
		alerts = append(alerts, as...)
	}
	in := bqrow.Ingest{Kafka: attr.Kafka{Topic: "ztf_20240715_programid1", Partition: 3, Offset: 42, Timestamp: time.Now()}, IngestTime: time.Now()}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		each(b, bqrow.New(alerts[n%len(alerts)], in, bqrow.Options{}))
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "alerts/s")
}

// BenchmarkRow measures the row conversion alone (decode + row against
// plain decoding is in package alert).
func BenchmarkRow(b *testing.B) {
	benchRows(b, func(b *testing.B, r *bqrow.Row) {
		if len(r.Values()) == 0 {
			b.Fatal("empty row")
		}
	})
}

// BenchmarkRowEncode measures the loader's own work per alert after
// decoding (encode in bqloader/loader.go): the row's typed values and
// their Storage Write API bytes.
func BenchmarkRowEncode(b *testing.B) {
	enc, err := bqloader.NewRowEncoder(bqrow.Schema(bqrow.Options{}))
	if err != nil {
		b.Fatal(err)
	}
	benchRows(b, func(b *testing.B, r *bqrow.Row) {
		if _, err := enc.Encode(r.Values()); err != nil {
			b.Fatal(err)
		}
	})
}
