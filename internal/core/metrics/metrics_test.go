package metrics

import (
	"context"
	"io"
	"log/slog"
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
