package bqrow_test

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"

	"cloud.google.com/go/bigquery"
	"cloud.google.com/go/civil"

	"github.com/ztfbridge/ztfbridge/internal/core/alert"
	"github.com/ztfbridge/ztfbridge/internal/core/alert/alerttest"
	"github.com/ztfbridge/ztfbridge/internal/core/attr"
	"github.com/ztfbridge/ztfbridge/internal/core/bqrow"
)

func TestSchema(t *testing.T) {
	base := []string{"candid", "objectId", "schemavsn", "schema_version", "night", "publisher",
		"candidate", "prv_candidates", "fp_hists"}
	ingest := []string{"kafka_topic", "kafka_partition", "kafka_offset", "kafka_timestamp", "ingest_time"}
	tests := []struct {
		name string
		o    bqrow.Options
		want []string
	}{
		{"default", bqrow.Options{}, slices.Concat(base, ingest)},
		{"cutouts", bqrow.Options{Cutouts: true}, slices.Concat(base, []string{"cutout_science", "cutout_template", "cutout_difference"}, ingest)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := bqrow.Schema(tt.o)
			var names []string
			for _, f := range s {
				names = append(names, f.Name)
			}
			if !slices.Equal(names, tt.want) {
				t.Fatalf("columns %v, want %v", names, tt.want)
			}
			types := map[string]bigquery.FieldType{"candid": bigquery.IntegerFieldType, "night": bigquery.DateFieldType,
				"candidate": bigquery.RecordFieldType, "kafka_timestamp": bigquery.TimestampFieldType, "cutout_science": bigquery.BytesFieldType}
			for _, f := range s {
				if want, ok := types[f.Name]; ok && f.Type != want {
					t.Errorf("%s is %s, want %s", f.Name, f.Type, want)
				}
			}
			checkFields(t, "", s)
		})
	}
	sub := map[string]int{}
	for _, f := range bqrow.Schema(bqrow.Options{}) {
		sub[f.Name] = len(f.Schema)
	}
	if sub["candidate"] < 100 || sub["prv_candidates"] < 60 || sub["fp_hists"] != 29 {
		t.Errorf("record sizes %v: want the union of all versions' fields (fp_hists has 29)", sub)
	}
}

// checkFields checks that every column is described, and NULLABLE unless
// it is a history.
func checkFields(t *testing.T, prefix string, s bigquery.Schema) {
	t.Helper()
	for _, f := range s {
		name := prefix + f.Name
		if f.Description == "" {
			t.Errorf("%s has no description", name)
		}
		if f.Required {
			t.Errorf("%s is REQUIRED", name)
		}
		if f.Repeated != (name == "prv_candidates" || name == "fp_hists") {
			t.Errorf("%s repeated=%v", name, f.Repeated)
		}
		checkFields(t, name+".", f.Schema)
	}
}

// TestSchemaFile fails when terraform/schema/alerts.json is not what the
// Go definition produces.
func TestSchemaFile(t *testing.T) {
	want, err := bqrow.SchemaJSON(bqrow.Options{})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "..", "..", "terraform", "schema", "alerts.json")
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is stale: regenerate it with `go generate ./internal/core/bqrow` (ztfbridge schema > terraform/schema/alerts.json)", path)
	}
	parsed, err := bigquery.SchemaFromJSON(got)
	if err != nil {
		t.Fatalf("the BigQuery client rejects %s: %v", path, err)
	}
	if len(parsed) != len(bqrow.Schema(bqrow.Options{})) {
		t.Errorf("parsed %d columns", len(parsed))
	}
}

func decodeAll(t *testing.T) []*alert.Alert {
	t.Helper()
	d := alert.NewDecoder()
	var out []*alert.Alert
	for _, e := range alerttest.Manifest(t) {
		if e.Broken() {
			continue
		}
		alerts, err := d.Decode(e.Read(t))
		if err != nil {
			t.Fatalf("%s: %v", e.Path, err)
		}
		out = append(out, alerts...)
	}
	return out
}

// TestRowsMatchSchema converts every real alert and checks each typed
// value against its column's type, and that the JSON form marshals.
func TestRowsMatchSchema(t *testing.T) {
	o := bqrow.Options{Cutouts: true}
	s := bqrow.Schema(o)
	in := bqrow.Ingest{Kafka: attr.Kafka{Topic: "ztf_20240715_programid1", Partition: 7, Offset: 1 << 40, Timestamp: time.UnixMilli(1721000000123)}, IngestTime: time.Now()}
	for _, a := range decodeAll(t) {
		r := bqrow.New(a, in, o)
		row := r.Values()
		if row["candid"] != a.Candid {
			t.Errorf("candid %v (%T) for candid %d", row["candid"], row["candid"], a.Candid)
		}
		checkValues(t, a.Candid, "", s, row)
		saved, id, err := r.Save()
		if err != nil || id != bigquery.NoDedupeID || saved["candid"] != strconv.FormatInt(a.Candid, 10) {
			t.Errorf("%d: Save gives candid %v, insert id %q, %v; want the decimal string, no insert id", a.Candid, saved["candid"], id, err)
		}
		if _, err := json.Marshal(r); err != nil {
			t.Errorf("%d: row does not marshal: %v", a.Candid, err)
		}
	}
}

func checkValues(t *testing.T, candid int64, prefix string, s bigquery.Schema, row map[string]bigquery.Value) {
	t.Helper()
	fields := map[string]*bigquery.FieldSchema{}
	for _, f := range s {
		fields[f.Name] = f
	}
	for name, v := range row {
		f, ok := fields[name]
		if !ok {
			t.Errorf("%d: %s%s is not in the schema", candid, prefix, name)
			continue
		}
		values := []bigquery.Value{v}
		if f.Repeated {
			values, ok = v.([]bigquery.Value)
			if !ok || len(values) == 0 {
				t.Errorf("%d: %s%s: repeated value %T", candid, prefix, name, v)
			}
		}
		for _, v := range values {
			checkValue(t, candid, prefix+name, f, v)
		}
	}
}

func checkValue(t *testing.T, candid int64, name string, f *bigquery.FieldSchema, v bigquery.Value) {
	t.Helper()
	ok := false
	switch f.Type {
	case bigquery.IntegerFieldType:
		_, ok = v.(int64)
	case bigquery.FloatFieldType:
		_, ok = v.(float64)
	case bigquery.StringFieldType:
		_, ok = v.(string)
	case bigquery.BytesFieldType:
		_, ok = v.([]byte)
	case bigquery.DateFieldType:
		_, ok = v.(civil.Date)
	case bigquery.TimestampFieldType:
		_, ok = v.(time.Time)
	case bigquery.RecordFieldType:
		var m map[string]bigquery.Value
		m, ok = v.(map[string]bigquery.Value)
		checkValues(t, candid, name+".", f.Schema, m)
	}
	if !ok {
		t.Errorf("%d: %s: %T %v is no %s", candid, name, v, v, f.Type)
	}
}

func TestRowValues(t *testing.T) {
	var a *alert.Alert
	for _, x := range decodeAll(t) {
		if x.SchemaVersion == "4.02" && x.UpperLimits() > 0 {
			a = x
			break
		}
	}
	ts := time.Date(2024, 7, 15, 4, 5, 6, 7e6, time.UTC)
	in := bqrow.Ingest{Kafka: attr.Kafka{Topic: a.Topic(), Partition: 2, Offset: 99, Timestamp: ts}, IngestTime: ts.Add(time.Second)}
	row := bqrow.New(a, in, bqrow.Options{}).Values()

	want := map[string]bigquery.Value{
		"candid":          a.Candid,
		"objectId":        a.ObjectID,
		"schemavsn":       "4.02",
		"schema_version":  "4.02",
		"night":           a.Night.Civil(),
		"kafka_topic":     a.Topic(),
		"kafka_partition": int64(2),
		"kafka_offset":    int64(99),
		"kafka_timestamp": ts,
		"ingest_time":     ts.Add(time.Second),
	}
	for k, v := range want {
		if row[k] != v {
			t.Errorf("%s = %v (%T), want %v", k, row[k], row[k], v)
		}
	}
	if _, ok := row["cutout_science"]; ok {
		t.Error("cutouts in a row without Options.Cutouts")
	}
	cand := row["candidate"].(map[string]bigquery.Value)
	if got, want := cand["magpsf"], strconv.FormatFloat(float64(a.Candidate.Magpsf), 'g', -1, 32); strconv.FormatFloat(got.(float64), 'g', -1, 64) != want {
		t.Errorf("magpsf %v, want it to print as the float %s", got, want)
	}
	if cand["jd"] != a.Candidate.JD || cand["ra"] != a.Candidate.RA {
		t.Errorf("jd %v ra %v, want %v %v", cand["jd"], cand["ra"], a.Candidate.JD, a.Candidate.RA)
	}
	prv := row["prv_candidates"].([]bigquery.Value)
	if len(prv) != len(a.PrvCandidates) || len(row["fp_hists"].([]bigquery.Value)) != len(a.FPHists) {
		t.Fatalf("%d prv_candidates, %d fp_hists", len(prv), len(row["fp_hists"].([]bigquery.Value)))
	}
	limits := 0
	for _, p := range prv {
		if _, ok := p.(map[string]bigquery.Value)["candid"]; !ok {
			limits++
		}
	}
	if limits != a.UpperLimits() {
		t.Errorf("%d rows without candid, want %d upper limits", limits, a.UpperLimits())
	}
}

func TestRowNulls(t *testing.T) {
	inf := float32(math.Inf(1))
	a := &alert.Alert{Candid: 1, Candidate: alert.Candidate{JD: math.NaN(), Magpsf: float32(math.NaN()), Diffmaglim: &inf, RA: math.Inf(-1)}}
	// The packet gave no rfid and no drbversion (a writer schema without
	// them): NULL, not 0 and "".
	a.Candidate.Absent = fieldSet(t, reflect.TypeFor[alert.Candidate](), "RFID", "DRBVersion")
	r := bqrow.New(a, bqrow.Ingest{}, bqrow.Options{Cutouts: true})
	row := r.Values()
	cand := row["candidate"].(map[string]bigquery.Value)
	for _, k := range []string{"nid", "rb", "rfid", "drbversion"} {
		if v, ok := cand[k]; ok {
			t.Errorf("candidate.%s = %v, want NULL", k, v)
		}
	}
	for _, k := range []string{"night", "schema_version", "prv_candidates", "fp_hists", "cutout_science", "kafka_topic", "kafka_timestamp", "ingest_time"} {
		if v, ok := row[k]; ok {
			t.Errorf("%s = %v, want NULL", k, v)
		}
	}
	// Values the packet holds are there, zeros and non-finite floats too.
	if cand["nmatches"] != int64(0) || cand["rbversion"] != "" || cand["dec"] != 0.0 {
		t.Errorf("nmatches %v rbversion %q dec %v, want the zeros the packet holds", cand["nmatches"], cand["rbversion"], cand["dec"])
	}
	jd, _ := cand["jd"].(float64)
	magpsf, _ := cand["magpsf"].(float64)
	if !math.IsNaN(jd) || !math.IsNaN(magpsf) || cand["diffmaglim"] != math.Inf(1) || cand["ra"] != math.Inf(-1) {
		t.Errorf("jd %v magpsf %v diffmaglim %v ra %v, want NaN NaN +Inf -Inf", cand["jd"], cand["magpsf"], cand["diffmaglim"], cand["ra"])
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatalf("a row with NaN does not marshal: %v", err)
	}
	for _, want := range []string{`"jd":"NaN"`, `"diffmaglim":"Infinity"`, `"ra":"-Infinity"`, `"candid":"1"`} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("JSON form lacks %s: %s", want, b)
		}
	}
}

// fieldSet returns the set of the fields of struct t with those names.
func fieldSet(t *testing.T, typ reflect.Type, names ...string) alert.FieldSet {
	t.Helper()
	var s alert.FieldSet
	for _, n := range names {
		f, ok := typ.FieldByName(n)
		if !ok {
			t.Fatalf("%s has no field %s", typ, n)
		}
		s.Add(f.Index[0])
	}
	return s
}
