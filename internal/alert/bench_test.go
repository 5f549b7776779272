package alert_test

import (
	"testing"
	"time"

	"github.com/hamba/avro/v2"

	"github.com/ztfbridge/ztfbridge/internal/alert"
	"github.com/ztfbridge/ztfbridge/internal/alert/alerttest"
	"github.com/ztfbridge/ztfbridge/internal/attr"
	"github.com/ztfbridge/ztfbridge/internal/bqrow"
)

// The benchmarks below run on the real 4.x packets. Compare
// BenchmarkDecodeRow (what the loader does per alert) with
// BenchmarkGenericDecode (hamba decoding the same records into any with
// the same parsed schema): the ratio of their alerts/s is the figure to
// report.

func realPackets(b *testing.B) (packets [][]byte, size int64) {
	packets = alerttest.Real(b, "4.")
	for _, p := range packets {
		size += int64(len(p))
	}
	return packets, size / int64(len(packets))
}

func reportAlerts(b *testing.B, n int) {
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "alerts/s")
}

func BenchmarkDecode(b *testing.B) {
	packets, size := realPackets(b)
	d := alert.NewDecoder()
	b.SetBytes(size)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if _, err := d.Decode(packets[n%len(packets)]); err != nil {
			b.Fatal(err)
		}
		n++
	}
	reportAlerts(b, n)
}

func BenchmarkDecodeRow(b *testing.B) {
	packets, size := realPackets(b)
	d := alert.NewDecoder()
	in := bqrow.Ingest{Kafka: attr.Kafka{Topic: "ztf_20240715_programid1", Partition: 3, Offset: 42, Timestamp: time.Now()}, IngestTime: time.Now()}
	b.SetBytes(size)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		alerts, err := d.Decode(packets[n%len(packets)])
		if err != nil {
			b.Fatal(err)
		}
		for _, a := range alerts {
			if _, _, err := bqrow.New(a, in, bqrow.Options{}).Save(); err != nil {
				b.Fatal(err)
			}
		}
		n++
	}
	reportAlerts(b, n)
}

func BenchmarkSummarize(b *testing.B) {
	packets, size := realPackets(b)
	d := alert.NewDecoder()
	b.SetBytes(size)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if _, err := d.Summarize(packets[n%len(packets)]); err != nil {
			b.Fatal(err)
		}
		n++
	}
	reportAlerts(b, n)
}

// BenchmarkGenericDecode is the baseline: the same records decoded by
// hamba into any, with the schema parsed beforehand and the container
// already taken apart.
func BenchmarkGenericDecode(b *testing.B) {
	packets, size := realPackets(b)
	d := alert.NewDecoder()
	type record struct {
		schema avro.Schema
		data   []byte
	}
	var recs []record
	for _, p := range packets {
		s, blocks, err := alert.WriterSchema(d, p)
		if err != nil {
			b.Fatal(err)
		}
		recs = append(recs, record{s, blocks[0]})
	}
	api := avro.Config{}.Freeze()
	b.SetBytes(size)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		r := recs[n%len(recs)]
		var v any
		if err := api.Unmarshal(r.schema, r.data, &v); err != nil {
			b.Fatal(err)
		}
		n++
	}
	reportAlerts(b, n)
}
