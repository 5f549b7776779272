package bqrow_test

import (
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"math"
	"strconv"
	"testing"

	"cloud.google.com/go/bigquery"
	"github.com/golang/snappy"
	"github.com/linkedin/goavro/v2"

	"github.com/ztfbridge/ztfbridge/internal/core/alert"
	"github.com/ztfbridge/ztfbridge/internal/core/alert/alerttest"
	"github.com/ztfbridge/ztfbridge/internal/core/bqrow"
)

// TestFidelity decodes every packet of the manifest a second time with
// goavro, an Avro implementation independent of the decoder's hamba, and
// compares every column of each alert's row with it, both ways: a value
// the packet holds is in the row, equal (int64 exact, a float32 the same
// float32, NaN and ±Inf included, strings and bytes as written, histories
// in order); a field the writer schema lacks, or holds null, is NULL in
// the row. The fields of the packet that have no column are the ones the
// decoder reports in alert.Schema.Unmapped.
func TestFidelity(t *testing.T) {
	d := alert.NewDecoder()
	o := bqrow.Options{Cutouts: true}
	schema := bqrow.Schema(o)
	var f fidelity
	files := 0
	for _, e := range alerttest.Manifest(t) {
		if e.Broken() {
			continue
		}
		files++
		b := e.Read(t)
		alerts, err := d.Decode(b)
		if err != nil {
			t.Fatalf("%s: %v", e.Path, err)
		}
		recs := packetRecords(t, b)
		if len(recs) != len(alerts) {
			t.Fatalf("%s: goavro reads %d records, the decoder %d", e.Path, len(recs), len(alerts))
		}
		for i, a := range alerts {
			f.unmapped = map[string]bool{}
			for _, u := range a.Writer.Unmapped {
				f.unmapped[u] = true
			}
			f.record(t, fmt.Sprintf("%s#%d", e.Path, i), "", schema, recs[i], bqrow.New(a, bqrow.Ingest{}, o).Values())
		}
	}
	// No packet of the manifest holds NaN or an infinity: one more packet
	// does, a real 4.02 packet with some of its floats replaced.
	b := nonFinitePacket(t)
	alerts, err := d.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	f.unmapped = nil
	f.record(t, "non-finite packet", "", schema, packetRecords(t, b)[0], bqrow.New(alerts[0], bqrow.Ingest{}, o).Values())
	t.Logf("%d files and a packet with NaN: %d values equal (%d of them NaN or ±Inf), %d NULL where the packet has no value, %d packet values without a column",
		files, f.values, f.nonFinite, f.nulls, f.skipped)
	if f.values < 100_000 || f.nulls == 0 || f.nonFinite != 5 {
		t.Errorf("compared too little: %+v", f)
	}
}

// fidelity compares rows with the records goavro decodes, and counts.
type fidelity struct {
	values    int // values of the packet found equal in the row
	nonFinite int // of which NaN or ±Inf
	nulls     int // columns NULL where the packet has no value
	skipped   int // values of the packet in fields without a column

	// unmapped are the dotted paths the decoder reports as having no
	// place in the Alert, for the record being compared.
	unmapped map[string]bool
}

// notInPacket are the columns that the pipeline adds, not the packet.
var notInPacket = map[string]bool{
	bqrow.ColSchemaVersion: true, bqrow.ColNight: true, bqrow.ColKafkaTopic: true, bqrow.ColKafkaPartition: true,
	bqrow.ColKafkaOffset: true, bqrow.ColKafkaTimestamp: true, bqrow.ColIngestTime: true,
}

// cutoutFields are the packet fields of the cutout columns.
var cutoutFields = map[string]string{
	"cutout_science": "cutoutScience", "cutout_template": "cutoutTemplate", "cutout_difference": "cutoutDifference",
}

// record compares the row (or nested record) row of columns cols with the
// packet's record rec. where names the record in errors, prefix is its
// dotted path as alert.Schema.Unmapped writes it.
func (f *fidelity) record(t *testing.T, where, prefix string, cols bigquery.Schema, rec map[string]any, row map[string]bigquery.Value) {
	t.Helper()
	known := map[string]bool{}
	for _, c := range cols {
		if prefix == "" && notInPacket[c.Name] {
			continue
		}
		field := c.Name
		if name, ok := cutoutFields[c.Name]; ok && prefix == "" {
			field = name
		}
		known[field] = true
		pv := unwrap(rec[field])
		rv := row[c.Name]
		at := where + "." + c.Name
		switch {
		case c.Repeated:
			list, _ := pv.([]any)
			got, _ := rv.([]bigquery.Value)
			if len(list) != len(got) {
				t.Errorf("%s: %d entries in the row, %d in the packet", at, len(got), len(list))
				continue
			}
			if len(list) == 0 {
				f.nulls++
			}
			for i := range list {
				f.record(t, fmt.Sprintf("%s[%d]", at, i), prefix+field+".", c.Schema, unwrap(list[i]).(map[string]any), got[i].(map[string]bigquery.Value))
			}
		case pv == nil:
			if rv != nil {
				t.Errorf("%s: the packet has no value, the row has %v (%T)", at, rv, rv)
				continue
			}
			f.nulls++
		case c.Type == bigquery.RecordFieldType:
			m, ok := rv.(map[string]bigquery.Value)
			if !ok {
				t.Errorf("%s: the packet has a record, the row has %v (%T)", at, rv, rv)
				continue
			}
			f.record(t, at, prefix+field+".", c.Schema, pv.(map[string]any), m)
		default:
			if cut, ok := pv.(map[string]any); ok && cutoutFields[c.Name] != "" {
				pv = unwrap(cut["stampData"])
			}
			f.scalar(t, at, c.Type, pv, rv)
		}
	}
	for name := range rec {
		if known[name] {
			continue
		}
		f.skipped++
		if !f.unmapped[prefix+name] {
			t.Errorf("%s.%s: in the packet, without a column, and not in the alert's Schema.Unmapped", where, name)
		}
	}
}

// scalar compares the row's value rv of a column of type typ with the
// packet's value pv (not null).
func (f *fidelity) scalar(t *testing.T, at string, typ bigquery.FieldType, pv, rv bigquery.Value) {
	t.Helper()
	ok := false
	switch typ {
	case bigquery.IntegerFieldType:
		got, isInt := rv.(int64)
		switch x := pv.(type) {
		case int32:
			ok = isInt && got == int64(x)
		case int64:
			ok = isInt && got == x
		}
	case bigquery.FloatFieldType:
		var want float64
		switch x := pv.(type) {
		case float32:
			want = float64(x)
			if got, isFloat := rv.(float64); isFloat && !math.IsNaN(got) {
				rv = float64(float32(got)) // the row widens a float32 to the double that prints like it
			}
		case float64:
			want = x
		}
		if math.IsNaN(want) || math.IsInf(want, 0) {
			f.nonFinite++
		}
		got, isFloat := rv.(float64)
		ok = isFloat && (got == want || math.IsNaN(got) && math.IsNaN(want))
	case bigquery.StringFieldType:
		switch x := pv.(type) {
		case string:
			ok = rv == x
		case int32: // isdiffpos of old simulations: the decimal string
			ok = rv == strconv.FormatInt(int64(x), 10)
		}
	case bigquery.BytesFieldType:
		got, isBytes := rv.([]byte)
		want, _ := pv.([]byte)
		ok = isBytes && bytes.Equal(got, want)
	case bigquery.BooleanFieldType:
		ok = rv == pv
	}
	if !ok {
		t.Errorf("%s: the packet has %v (%T), the row %v (%T)", at, pv, pv, rv, rv)
		return
	}
	f.values++
}

// unwrap returns the value of a goavro union ({"type": value}), or v. A
// map of one entry is a union when its key names a primitive or an array,
// or when it holds a record (no ZTF record has a single record field).
func unwrap(v any) any {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return v
	}
	for k, x := range m {
		if _, isRecord := x.(map[string]any); isRecord || isPrimitive(k) || k == "array" {
			return x
		}
	}
	return v
}

func isPrimitive(name string) bool {
	switch name {
	case "null", "boolean", "int", "long", "float", "double", "bytes", "string":
		return true
	}
	return false
}

// packetRecords decodes the records of the container b with goavro alone:
// the header, the blocks and the records. goavro refuses most ZTF writer
// schemas as they are (a union's default must match its first branch),
// and defaults play no part in reading, so they are removed first.
func packetRecords(t testing.TB, b []byte) []map[string]any {
	t.Helper()
	h, rest := header(t, b)
	meta := h["meta"].(map[string]any)
	sync := h["sync"].([]byte)
	long, err := goavro.NewCodec(`"long"`)
	if err != nil {
		t.Fatal(err)
	}
	codec, err := goavro.NewCodec(withoutDefaults(t, meta["avro.schema"].([]byte)))
	if err != nil {
		t.Fatalf("goavro: %v", err)
	}
	compression, _ := meta["avro.codec"].([]byte)
	var out []map[string]any
	for len(rest) > 0 {
		var n, size any
		if n, rest, err = long.NativeFromBinary(rest); err != nil {
			t.Fatal(err)
		}
		if size, rest, err = long.NativeFromBinary(rest); err != nil {
			t.Fatal(err)
		}
		data := rest[:size.(int64)]
		rest = rest[size.(int64):]
		if !bytes.Equal(rest[:16], sync) {
			t.Fatal("block without the sync marker")
		}
		rest = rest[16:]
		data = decompress(t, string(compression), data)
		for range n.(int64) {
			var rec any
			if rec, data, err = codec.NativeFromBinary(data); err != nil {
				t.Fatalf("goavro: %v", err)
			}
			out = append(out, rec.(map[string]any))
		}
	}
	return out
}

// nonFinitePacket returns a real 4.02 packet whose candidate.magpsf
// (float) is NaN, candidate.ra (double) +Inf, candidate.diffmaglim
// (nullable float) -Inf, candidate.scorr (nullable double) NaN and the
// first prv_candidates' magpsf NaN, and the candid of the alert plus one,
// written again by goavro.
func nonFinitePacket(t testing.TB) []byte {
	t.Helper()
	var b []byte
	for _, e := range alerttest.Manifest(t) {
		if e.SchemaVersion == "4.02" && !e.Broken() && e.Records == 1 {
			b = e.Read(t)
			break
		}
	}
	schema := withoutDefaults(t, headerMeta(t, b)["avro.schema"].([]byte))
	rec := packetRecords(t, b)[0]
	rec["candid"] = rec["candid"].(int64) + 1 // not the packet it is made of
	cand := rec["candidate"].(map[string]any)
	cand["magpsf"] = float32(math.NaN())
	cand["ra"] = math.Inf(1)
	cand["diffmaglim"] = map[string]any{"float": float32(math.Inf(-1))}
	cand["scorr"] = map[string]any{"double": math.NaN()}
	prv := unwrap(rec["prv_candidates"]).([]any)
	prv[0].(map[string]any)["magpsf"] = map[string]any{"float": float32(math.NaN())}
	var buf bytes.Buffer
	w, err := goavro.NewOCFWriter(goavro.OCFConfig{W: &buf, Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Append([]any{rec}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// header decodes the header of the container b with goavro and returns
// it with the bytes that follow it.
func header(t testing.TB, b []byte) (map[string]any, []byte) {
	t.Helper()
	codec, err := goavro.NewCodec(`{"type":"record","name":"org.apache.avro.file.Header","fields":[
		{"name":"magic","type":{"type":"fixed","name":"Magic","size":4}},
		{"name":"meta","type":{"type":"map","values":"bytes"}},
		{"name":"sync","type":{"type":"fixed","name":"Sync","size":16}}]}`)
	if err != nil {
		t.Fatal(err)
	}
	h, rest, err := codec.NativeFromBinary(b)
	if err != nil {
		t.Fatalf("header: %v", err)
	}
	return h.(map[string]any), rest
}

// headerMeta returns the metadata of the header of the container b.
func headerMeta(t testing.TB, b []byte) map[string]any {
	t.Helper()
	h, _ := header(t, b)
	return h["meta"].(map[string]any)
}

// withoutDefaults returns the schema with its "default" attributes removed,
// for goavro, which refuses ZTF's defaults as the Avro spec does.
func withoutDefaults(t testing.TB, schema []byte) string {
	t.Helper()
	out, err := alert.WithoutDefaults(schema)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// decompress returns the data of a block written with the codec.
func decompress(t testing.TB, codec string, data []byte) []byte {
	t.Helper()
	switch codec {
	case "", "null":
		return data
	case "deflate":
		out, err := io.ReadAll(flate.NewReader(bytes.NewReader(data)))
		if err != nil {
			t.Fatal(err)
		}
		return out
	case "snappy":
		out, err := snappy.Decode(nil, data[:len(data)-4])
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	t.Fatalf("codec %q", codec)
	return nil
}
