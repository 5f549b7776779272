package alert_test

import (
	"errors"
	"testing"

	"github.com/hamba/avro/v2/ocf"

	"github.com/ztfbridge/ztfbridge/internal/core/alert"
	"github.com/ztfbridge/ztfbridge/internal/core/alert/alerttest"
)

// FuzzDecode feeds Decode real packets, their truncations and mutations:
// it must never panic, and it returns either alerts or one of its errors.
func FuzzDecode(f *testing.F) {
	for _, e := range alerttest.Manifest(f) {
		if e.SchemaVersion != "4.02" && e.SchemaVersion != "1.8" && e.Records != 3 {
			continue
		}
		b := e.Read(f)
		f.Add(b)
		for _, n := range []int{4, 40, len(b) / 3, len(b) / 2, len(b) - 17, len(b) - 1} {
			f.Add(b[:n])
		}
	}
	schema, alerts := synthetic(f, 3)
	for _, codec := range []ocf.CodecName{ocf.Deflate, ocf.Snappy} {
		f.Add(container(f, schema, codec, alerts))
	}
	d := alert.NewDecoder()
	f.Fuzz(func(t *testing.T, b []byte) {
		alerts, err := d.Decode(b)
		switch {
		case err == nil && len(alerts) == 0:
			t.Fatal("no alerts and no error")
		case err != nil && alerts != nil:
			t.Fatal("alerts with an error")
		case err != nil && !errors.Is(err, alert.ErrNotContainer) && !errors.Is(err, alert.ErrCorrupt) && !errors.Is(err, alert.ErrNotZTF):
			t.Fatalf("error %v wraps none of the package's errors", err)
		}
		for _, a := range alerts {
			_ = a.Topic()
		}
	})
}
