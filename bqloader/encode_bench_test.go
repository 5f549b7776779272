package bqloader

import (
	"testing"
	"time"

	"github.com/ztfbridge/ztfbridge/internal/alert"
	"github.com/ztfbridge/ztfbridge/internal/alert/alerttest"
	"github.com/ztfbridge/ztfbridge/internal/attr"
	"github.com/ztfbridge/ztfbridge/internal/bqrow"
)

// BenchmarkRowEncode measures the loader's own work per alert after
// decoding (encode in loader.go): the row's typed values and their
// Storage Write API bytes, on the real 4.x alerts.
func BenchmarkRowEncode(b *testing.B) {
	d := alert.NewDecoder()
	var alerts []*alert.Alert
	for _, p := range alerttest.Real(b, "4.") {
		as, err := d.Decode(p)
		if err != nil {
			b.Fatal(err)
		}
		alerts = append(alerts, as...)
	}
	enc, err := NewRowEncoder(bqrow.Schema(bqrow.Options{}))
	if err != nil {
		b.Fatal(err)
	}
	in := bqrow.Ingest{Kafka: attr.Kafka{Topic: "ztf_20240715_programid1", Partition: 3, Offset: 42, Timestamp: time.Now()}, IngestTime: time.Now()}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if _, err := enc.Encode(bqrow.New(alerts[n%len(alerts)], in, bqrow.Options{}).Values()); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "alerts/s")
}
