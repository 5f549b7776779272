package alert_test

import (
	"bytes"
	"compress/flate"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/hamba/avro/v2"
	"github.com/hamba/avro/v2/ocf"

	"github.com/ztfbridge/ztfbridge/internal/core/alert"
	"github.com/ztfbridge/ztfbridge/internal/core/night"
	"github.com/ztfbridge/ztfbridge/internal/dev/synth"
)

// synthetic returns n synthetic alerts and their writer schema.
func synthetic(tb testing.TB, n int) (avro.Schema, []*alert.Alert) {
	tb.Helper()
	day, _ := night.Parse("20250302")
	packets, err := synth.Generate(synth.Config{Night: day, Seed: 3, Objects: 2}, n)
	if err != nil {
		tb.Fatal(err)
	}
	var alerts []*alert.Alert
	for _, p := range packets {
		alerts = append(alerts, p.Alert)
	}
	schema, _, err := alert.WriterSchema(alert.NewDecoder(), packets[0].Data)
	if err != nil {
		tb.Fatal(err)
	}
	return schema, alerts
}

// container encodes alerts into a container with the codec, two records
// per block.
func container(tb testing.TB, schema avro.Schema, codec ocf.CodecName, alerts []*alert.Alert) []byte {
	tb.Helper()
	var buf bytes.Buffer
	enc, err := ocf.NewEncoderWithSchema(schema, &buf, ocf.WithCodec(codec), ocf.WithBlockLength(2),
		ocf.WithSchemaMarshaler(ocf.FullSchemaMarshaler))
	if err != nil {
		tb.Fatal(err)
	}
	for _, a := range alerts {
		if err := enc.Encode(a); err != nil {
			tb.Fatal(err)
		}
	}
	if err := enc.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// TestDecodeCodecs writes synthetic alerts into containers of several
// records and blocks with each codec, and decodes them back.
func TestDecodeCodecs(t *testing.T) {
	schema, want := synthetic(t, 5)
	d := alert.NewDecoder()
	for _, codec := range []ocf.CodecName{ocf.Null, ocf.Deflate, ocf.Snappy} {
		t.Run(string(codec), func(t *testing.T) {
			got, err := d.Decode(container(t, schema, codec, want))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("%d alerts, want %d", len(got), len(want))
			}
			for i := range got {
				got[i].SchemaVersion = want[i].SchemaVersion // the re-marshaled schema has no version
				if got[i].Writer == nil || len(got[i].Writer.Unmapped) != 0 {
					t.Errorf("alert %d: writer schema %+v, want one with every field mapped", i, got[i].Writer)
				}
				got[i].Writer = want[i].Writer
				rfid := alert.FieldSet{}
				rfid.Add(fieldIndex[alert.PrvCandidate](t, "RFID"))
				for j := range got[i].PrvCandidates {
					// ZTF's prv_candidate has no rfid: the synthetic 0 is not in the packet.
					if got[i].PrvCandidates[j].Absent != rfid {
						t.Errorf("alert %d prv_candidates[%d]: absent %v, want rfid alone", i, j, got[i].PrvCandidates[j].Absent)
					}
					got[i].PrvCandidates[j].Absent = want[i].PrvCandidates[j].Absent
				}
				if !reflect.DeepEqual(got[i], want[i]) {
					t.Errorf("alert %d differs after a %s container", i, codec)
				}
			}
		})
	}
}

// fieldIndex returns the index of the field of struct T with that name.
func fieldIndex[T any](t *testing.T, name string) int {
	t.Helper()
	f, ok := reflect.TypeFor[T]().FieldByName(name)
	if !ok {
		t.Fatalf("no field %s", name)
	}
	return f.Index[0]
}

// TestDecodeBomb checks that a deflate block that inflates beyond the
// limit is refused rather than allocated.
func TestDecodeBomb(t *testing.T) {
	var zeros bytes.Buffer
	zw, _ := flate.NewWriter(&zeros, flate.BestCompression)
	chunk := make([]byte, 1<<20)
	for range 65 {
		_, _ = zw.Write(chunk)
	}
	_ = zw.Close()

	var buf bytes.Buffer
	w := avro.NewWriter(&buf, 0)
	sync := []byte("0123456789abcdef")
	w.Write([]byte("Obj\x01"))
	w.WriteLong(2)
	w.WriteString("avro.codec")
	w.WriteBytes([]byte("deflate"))
	w.WriteString("avro.schema")
	w.WriteBytes([]byte(`{"type":"record","name":"alert","fields":[{"name":"candid","type":"long"},{"name":"candidate","type":{"type":"record","name":"c","fields":[{"name":"jd","type":"double"}]}}]}`))
	w.WriteLong(0)
	w.Write(sync)
	w.WriteLong(1)
	w.WriteBytes(zeros.Bytes())
	w.Write(sync)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	_, err := alert.NewDecoder().Decode(buf.Bytes())
	if !errors.Is(err, alert.ErrCorrupt) || !strings.Contains(err.Error(), "inflates beyond") {
		t.Fatalf("Decode = %v, want a refused deflate bomb", err)
	}
}
