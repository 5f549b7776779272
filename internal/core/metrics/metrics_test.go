package metrics

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestServe(t *testing.T) {
	reg := NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "ztfbridge_test_total", Help: "test"})
	reg.MustRegister(c)
	c.Add(3)

	s, err := Listen(slog.New(slog.DiscardHandler), "127.0.0.1:0", reg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()

	resp, err := http.Get("http://" + s.Addr() + "/metrics") // bound by Listen: no wait
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), "ztfbridge_test_total 3") {
		t.Errorf("metrics body lacks the counter:\n%.500s", b)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve: %v", err)
	}
}

// TestListenTaken: a port in use is an error of Listen, before anything
// runs unobserved.
func TestListenTaken(t *testing.T) {
	s, err := Listen(slog.New(slog.DiscardHandler), "127.0.0.1:0", NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	defer s.ln.Close()
	if _, err := Listen(slog.New(slog.DiscardHandler), s.Addr(), NewRegistry()); err == nil || !strings.Contains(err.Error(), "metrics") {
		t.Errorf("second Listen on %s: %v, want a metrics error", s.Addr(), err)
	}
}

// TestSeries: every series a Series makes is registered under
// ztfbridge_<subsystem>_<name>, and CountBy's values are there at 0 before
// anything is counted.
func TestSeries(t *testing.T) {
	reg := prometheus.NewRegistry()
	s := NewSeries(reg, "test")
	s.Counter("c_total", "a counter").Add(2)
	s.Gauge("g", "a gauge").Set(3)
	s.GaugeVec("gv", "a gauge by label", "topic", "partition").WithLabelValues("t", "1").Set(4)
	s.Histogram("h_seconds", "a histogram", []float64{1, 2}).Observe(1.5)
	CountBy(s, "by_total", "a counter by kind", "kind", "a", "b").WithLabelValues("b").Inc()

	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range families {
		var b strings.Builder
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				b.WriteString(l.GetName() + "=" + l.GetValue() + " ")
			}
			switch {
			case m.Counter != nil:
				fmt.Fprintf(&b, "%g; ", m.Counter.GetValue())
			case m.Gauge != nil:
				fmt.Fprintf(&b, "%g; ", m.Gauge.GetValue())
			case m.Histogram != nil:
				fmt.Fprintf(&b, "n=%d; ", m.Histogram.GetSampleCount())
			}
		}
		got[f.GetName()+" ("+f.GetHelp()+")"] = b.String()
	}
	want := map[string]string{
		"ztfbridge_test_c_total (a counter)":          "2; ",
		"ztfbridge_test_g (a gauge)":                  "3; ",
		"ztfbridge_test_gv (a gauge by label)":        "partition=1 topic=t 4; ",
		"ztfbridge_test_h_seconds (a histogram)":      "n=1; ",
		"ztfbridge_test_by_total (a counter by kind)": "kind=a 0; kind=b 1; ",
	}
	if !maps.Equal(got, want) {
		t.Errorf("gathered\n%v\nwant\n%v", got, want)
	}
}
