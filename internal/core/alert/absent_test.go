package alert_test

import (
	"bytes"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/hamba/avro/v2/ocf"

	"github.com/ztfbridge/ztfbridge/internal/core/alert"
	"github.com/ztfbridge/ztfbridge/internal/core/alert/alerttest"
)

// TestFieldSetHoldsEveryField fails when a record struct outgrows FieldSet.
func TestFieldSetHoldsEveryField(t *testing.T) {
	for _, typ := range []reflect.Type{reflect.TypeFor[alert.Alert](), reflect.TypeFor[alert.Candidate](),
		reflect.TypeFor[alert.PrvCandidate](), reflect.TypeFor[alert.FPHist]()} {
		if typ.NumField() > alert.MaxFields {
			t.Errorf("%s has %d fields, a FieldSet holds %d", typ, typ.NumField(), alert.MaxFields)
		}
	}
}

// names returns the names of the fields of struct T that are in s.
func names[T any](s alert.FieldSet) []string {
	typ := reflect.TypeFor[T]()
	var out []string
	for i := range typ.NumField() {
		if s.Has(i) {
			out = append(out, typ.Field(i).Name)
		}
	}
	return out
}

// TestAbsent checks, on real packets of old and new versions, which value
// fields the decoder reports as absent, and which writer fields as
// unmapped. TestFidelity in package bqrow checks every packet.
func TestAbsent(t *testing.T) {
	tests := []struct {
		path                      string
		alert, candidate, prv, fp []string
		unmapped                  int
		unmappedHas               string
	}{
		{path: "boom-astro+boom/data/alerts/2752190655615010016.avro", prv: []string{"RFID"}},
		{path: "ztf-avro-alert/history/v1.6_2018-03-19_66374471/data/396522680015020000.avro",
			alert:     []string{"SchemaVsn", "Publisher"},
			candidate: []string{"RFID", "JDStartRef", "JDEndRef", "Nframesref", "RBVersion", "Nmatches", "DRBVersion"},
			prv:       []string{"RBVersion", "RFID"}},
		{path: "astrolabsoftware+fink-client/datatest/ztf/part-3-305711.avro", prv: []string{"RFID"},
			unmapped: 54, unmappedHas: "fink_broker_version"},
	}
	d := alert.NewDecoder()
	for _, tt := range tests {
		t.Run(filepath.Base(tt.path), func(t *testing.T) {
			alerts, err := d.Decode(alerttest.File(t, tt.path))
			if err != nil {
				t.Fatal(err)
			}
			a := alerts[0]
			check := func(what string, got, want []string) {
				t.Helper()
				if !slices.Equal(got, want) {
					t.Errorf("%s absent %v, want %v", what, got, want)
				}
			}
			check("alert", names[alert.Alert](a.Absent), tt.alert)
			check("candidate", names[alert.Candidate](a.Candidate.Absent), tt.candidate)
			for _, p := range a.PrvCandidates {
				check("prv_candidate", names[alert.PrvCandidate](p.Absent), tt.prv)
			}
			for _, f := range a.FPHists {
				check("fp_hist", names[alert.FPHist](f.Absent), tt.fp)
			}
			if u := a.Writer.Unmapped; len(u) != tt.unmapped || tt.unmappedHas != "" && !slices.Contains(u, tt.unmappedHas) {
				t.Errorf("unmapped %v, want %d fields with %q", u, tt.unmapped, tt.unmappedHas)
			}
			if len(a.Writer.ID) != 16 || a.Writer.Version != a.SchemaVersion {
				t.Errorf("writer %+v, schema version %q", a.Writer, a.SchemaVersion)
			}
		})
	}
}

// TestAbsentNulls writes a container whose writer makes value fields
// nullable, as Fink's do: a null there is absent, a value is not.
func TestAbsentNulls(t *testing.T) {
	schema := `{"type":"record","name":"alert","fields":[
		{"name":"candid","type":"long"},
		{"name":"objectId","type":["null","string"]},
		{"name":"candidate","type":{"type":"record","name":"candidate","fields":[
			{"name":"jd","type":"double"},
			{"name":"fid","type":["null","int"]},
			{"name":"rfid","type":["null","long"]},
			{"name":"extra","type":"int"}]}},
		{"name":"prv_candidates","type":["null",{"type":"array","items":{"type":"record","name":"prv","fields":[
			{"name":"jd","type":["null","double"]},
			{"name":"pid","type":["null","long"]}]}}]},
		{"name":"fink_class","type":"string"}]}`
	rec := map[string]any{
		"candid":    int64(7),
		"objectId":  nil,
		"candidate": map[string]any{"jd": 2460000.5, "fid": nil, "rfid": int64(0), "extra": 3},
		"prv_candidates": []any{
			map[string]any{"jd": nil, "pid": int64(5)},
			map[string]any{"jd": 2459999.5, "pid": nil},
		},
		"fink_class": "SN",
	}
	var buf bytes.Buffer
	enc, err := ocf.NewEncoder(schema, &buf)
	if err != nil {
		t.Fatal(err)
	}
	if err := enc.Encode(rec); err != nil {
		t.Fatal(err)
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	alerts, err := alert.NewDecoder().Decode(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	a := alerts[0]
	if got := names[alert.Alert](a.Absent); !slices.Equal(got, []string{"ObjectID", "SchemaVsn", "Publisher"}) {
		t.Errorf("alert absent %v", got)
	}
	c := a.Candidate.Absent
	if i := fieldIndex[alert.Candidate](t, "FID"); !c.Has(i) {
		t.Error("a null fid is not absent")
	}
	if c.Has(fieldIndex[alert.Candidate](t, "RFID")) || c.Has(fieldIndex[alert.Candidate](t, "JD")) || a.Candidate.RFID != 0 {
		t.Errorf("rfid 0 and jd, which the packet holds, are absent: %v", names[alert.Candidate](c))
	}
	if got := names[alert.PrvCandidate](a.PrvCandidates[0].Absent); !slices.Contains(got, "JD") || slices.Contains(got, "PID") {
		t.Errorf("prv_candidates[0] absent %v, want jd and not pid", got)
	}
	if got := names[alert.PrvCandidate](a.PrvCandidates[1].Absent); slices.Contains(got, "JD") || !slices.Contains(got, "PID") {
		t.Errorf("prv_candidates[1] absent %v, want pid and not jd", got)
	}
	if !slices.Equal(a.Writer.Unmapped, []string{"candidate.extra", "fink_class"}) {
		t.Errorf("unmapped %v", a.Writer.Unmapped)
	}
}
