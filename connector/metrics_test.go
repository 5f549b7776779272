package connector_test

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestMetricsServer scrapes a running connector's /metrics, and checks
// that a connector whose metrics address is taken stops with an error
// instead of running blind.
func TestMetricsServer(t *testing.T) {
	b := newBridge(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	cfg := b.cfg
	cfg.Topic = "ztf_20250101_programid1" // never created: the connector waits
	cfg.MetricsAddr = addr
	_, stop := b.run(cfg)
	var body string
	waitFor(t, 30*time.Second, func() bool {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		body = string(b)
		return resp.StatusCode == http.StatusOK
	}, func() string { return "no /metrics" })
	for _, name := range []string{"ztfbridge_connector_consumed_total", "ztfbridge_connector_published_total",
		`ztfbridge_connector_dead_lettered_total{reason="too_large"}`, "ztfbridge_connector_publish_latency_seconds_bucket"} {
		if !strings.Contains(body, name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}

	_, stopSecond := b.run(cfg)
	done := make(chan error, 1)
	go func() { done <- stopSecond() }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "metrics") {
			t.Errorf("second connector on a taken metrics address: %v, want a metrics error", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("second connector did not stop")
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}
