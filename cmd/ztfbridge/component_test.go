package main

import (
	"io"
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ztfbridge/ztfbridge/internal/dev/stack/stacktest"
)

// TestConnectServesMetrics runs "ztfbridge connect" as a process: it serves
// the connector's metrics on --metrics-addr, and a second connector whose
// metrics address is taken stops at once with an error instead of running
// blind.
func TestConnectServesMetrics(t *testing.T) {
	kafka, ps := stacktest.Kafka(t), stacktest.PubSub(t)
	alerts, dead := stacktest.Name(t, "alerts"), stacktest.Name(t, "dead")
	for _, topic := range []string{alerts, dead} {
		if _, err := ps.ResetTopic(t.Context(), topic); err != nil {
			t.Fatal(err)
		}
	}
	env := append(append(kafka.Env(), ps.Env()...), "ZTFBRIDGE_PUBSUB_PROJECT="+ps.Project,
		"ZTFBRIDGE_PUBSUB_TOPIC="+alerts, "ZTFBRIDGE_DEADLETTER_TOPIC="+dead)
	addr := stacktest.FreeAddr(t)
	args := []string{"connect", "--topic", "ztf_20250101_programid1", "--metrics-addr", addr} // never created: it waits
	first := startProcess(t, stacktest.Command(t, "ztfbridge"), env, args...)

	var body string
	stacktest.WaitFor(t, time.Minute, "/metrics never answered 200", func() bool {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		body = string(b)
		return resp.StatusCode == http.StatusOK
	})
	for _, name := range []string{"ztfbridge_connector_consumed_total", "ztfbridge_connector_published_total",
		`ztfbridge_connector_dead_lettered_total{reason="too_large"}`, "ztfbridge_connector_publish_latency_seconds_bucket",
		"ztfbridge_connector_held_bytes", "go_goroutines"} {
		if !strings.Contains(body, name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}

	var stderr strings.Builder
	second := exec.Command(stacktest.Command(t, "ztfbridge"), args...)
	second.Env, second.Stderr = append(second.Environ(), env...), &stderr
	done := make(chan error, 1)
	go func() { done <- second.Run() }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(stderr.String(), "metrics") {
			t.Errorf("second connector on a taken metrics address: %v, %s; want a metrics error", err, stderr.String())
		}
	case <-time.After(time.Minute):
		_ = second.Process.Kill()
		t.Fatal("second connector did not stop")
	}
	if err := first.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := first.Wait(); err != nil {
		t.Errorf("connector after SIGTERM: %v", err)
	}
}
