package bqrow_test

import (
	"testing"
	"time"

	"github.com/ztfbridge/ztfbridge/internal/alert"
	"github.com/ztfbridge/ztfbridge/internal/alert/alerttest"
	"github.com/ztfbridge/ztfbridge/internal/attr"
	"github.com/ztfbridge/ztfbridge/internal/bqrow"
)

// BenchmarkRow measures the row conversion alone, on the real 4.x alerts
// (decode + row against plain decoding is in package alert).
func BenchmarkRow(b *testing.B) {
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
		if len(bqrow.New(alerts[n%len(alerts)], in, bqrow.Options{}).Values()) == 0 {
			b.Fatal("empty row")
		}
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "alerts/s")
}
