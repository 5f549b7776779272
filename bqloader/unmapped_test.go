package bqloader

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/ztfbridge/ztfbridge/internal/core/alert"
	"github.com/ztfbridge/ztfbridge/internal/core/alert/alerttest"
)

// TestUnmappedFields counts the fields without a column of each alert of
// a broker's packet by writer schema, and logs each schema once; ZTF's
// own packets have none.
func TestUnmappedFields(t *testing.T) {
	d := alert.NewDecoder()
	fink, err := d.Decode(alerttest.File(t, "astrolabsoftware+fink-client/datatest/ztf/part-3-305711.avro"))
	if err != nil {
		t.Fatal(err)
	}
	ztf, err := d.Decode(alerttest.File(t, "boom-astro+boom/data/alerts/2752190655615010016.avro"))
	if err != nil {
		t.Fatal(err)
	}

	var logs bytes.Buffer
	m := newMetrics(prometheus.NewRegistry())
	u := newUnmappedFields(slog.New(slog.NewTextHandler(&logs, nil)), m.unmappedFields)
	for _, a := range append(fink, ztf...) {
		u.note(a)
	}
	id := fink[0].Writer.ID
	want := float64(len(fink) * len(fink[0].Writer.Unmapped))
	if got := testutil.ToFloat64(m.unmappedFields.WithLabelValues(id)); got != want || want == 0 {
		t.Errorf("unmapped_fields_total{schema=%s} = %v, want %v", id, got, want)
	}
	if n := testutil.CollectAndCount(m.unmappedFields); n != 1 {
		t.Errorf("%d series, want 1: the ZTF packet has no unmapped field", n)
	}
	if n := strings.Count(logs.String(), "fields without a column"); n != 1 || !strings.Contains(logs.String(), "fink_broker_version") {
		t.Errorf("%d log lines, want one naming the fields:\n%s", n, logs.String())
	}
}
