package alert_test

import (
	"testing"
	"time"

	"github.com/hamba/avro/v2"

	"github.com/ztfbridge/ztfbridge/internal/core/alert"
	"github.com/ztfbridge/ztfbridge/internal/core/alert/alerttest"
	"github.com/ztfbridge/ztfbridge/internal/core/attr"
	"github.com/ztfbridge/ztfbridge/internal/core/bqrow"
)

// The benchmarks run on the real 4.x packets, one core each
// (go test -bench . -cpu 1). Compare BenchmarkDecodeRow (what the loader
// does per alert) with BenchmarkGenericDecode (hamba decoding the same
// records into any with the same parsed schema): the ratio of their
// alerts/s is the figure to report.

// benchPackets runs each on the real 4.x packets in turn, with one decoder
// for the whole run, and reports MB/s and alerts/s.
func benchPackets(b *testing.B, each func(b *testing.B, d *alert.Decoder, packet []byte)) {
	d := alert.NewDecoder()
	packets := alerttest.Real(b, "4.")
	var size int64
	for _, p := range packets {
		size += int64(len(p))
	}
	b.SetBytes(size / int64(len(packets)))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		each(b, d, packets[n%len(packets)])
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "alerts/s")
}

func BenchmarkDecode(b *testing.B) {
	benchPackets(b, func(b *testing.B, d *alert.Decoder, p []byte) {
		if _, err := d.Decode(p); err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkDecodeRow(b *testing.B) {
	in := bqrow.Ingest{Kafka: attr.Kafka{Topic: "ztf_20240715_programid1", Partition: 3, Offset: 42, Timestamp: time.Now()}, IngestTime: time.Now()}
	benchPackets(b, func(b *testing.B, d *alert.Decoder, p []byte) {
		alerts, err := d.Decode(p)
		if err != nil {
			b.Fatal(err)
		}
		for _, a := range alerts {
			if len(bqrow.New(a, in, bqrow.Options{}).Values()) == 0 {
				b.Fatal("empty row")
			}
		}
	})
}

func BenchmarkSummarize(b *testing.B) {
	benchPackets(b, func(b *testing.B, d *alert.Decoder, p []byte) {
		if _, err := d.Summarize(p); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkGenericDecode is the baseline: hamba decoding each packet's
// record into any with its writer schema parsed beforehand (the container
// is taken apart the same way as Decode does it).
func BenchmarkGenericDecode(b *testing.B) {
	api := avro.Config{}.Freeze()
	benchPackets(b, func(b *testing.B, d *alert.Decoder, p []byte) {
		schema, blocks, err := alert.WriterSchema(d, p)
		if err != nil {
			b.Fatal(err)
		}
		var v any
		if err := api.Unmarshal(schema, blocks[0], &v); err != nil {
			b.Fatal(err)
		}
	})
}
