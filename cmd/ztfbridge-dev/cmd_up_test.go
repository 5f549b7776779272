package main

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ztfbridge/ztfbridge/internal/dev/stack"
	"github.com/ztfbridge/ztfbridge/internal/dev/stack/stacktest"
)

// TestUpStopsEverythingOnCtrlC runs the built binary as a user would,
// waits for its export lines, sends SIGINT, and checks that it exits
// cleanly, that every port it printed is closed and that no emulator it
// started is left running.
func TestUpStopsEverythingOnCtrlC(t *testing.T) {
	dir := t.TempDir()
	bin := stacktest.Command(t, "ztfbridge-dev")
	envFile := filepath.Join(dir, "stack.env")
	up := exec.Command(bin, "up", "--env-file", envFile, "--kafka-port=0", "--pubsub-port=0",
		"--gcs-port=0", "--gcs-https-port=0", "--bigquery-port=0", "--bigquery-grpc-port=0")
	var stderr strings.Builder
	up.Stderr = &stderr
	if err := up.Start(); err != nil {
		t.Fatal(err)
	}
	defer up.Process.Kill()

	deadline := time.Now().Add(3 * time.Minute)
	var exports string
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(envFile); err == nil && strings.Contains(string(b), "# With these exported") {
			exports = string(b)
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if exports == "" {
		t.Fatalf("no exports after 3 minutes; stderr:\n%s", stderr.String())
	}
	var addrs []string
	for _, name := range []string{"ZTFBRIDGE_BROKERS", "PUBSUB_EMULATOR_HOST", "STORAGE_EMULATOR_HOST", "ZTFBRIDGE_BIGQUERY_API", "ZTFBRIDGE_BIGQUERY_STORAGE_API"} {
		v := stack.ReadShell(exports)[name]
		if v == "" {
			t.Fatalf("no export of %s in:\n%s", name, exports)
		}
		addrs = append(addrs, strings.TrimPrefix(v, "http://"))
	}
	for _, a := range addrs {
		if !stacktest.Listening(a) {
			t.Fatalf("%s not listening while up runs", a)
		}
	}

	if err := up.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- up.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("up exited with %v; stderr:\n%s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("up still running 30s after SIGINT; stderr:\n%s", stderr.String())
	}
	for _, a := range addrs {
		if stacktest.Listening(a) {
			t.Errorf("%s still listening after up stopped", a)
		}
	}
	pids := emulatorPIDs(stderr.String())
	if len(pids) != 2 {
		t.Fatalf("found %d emulator pids in the logs, want 2:\n%s", len(pids), stderr.String())
	}
	for _, pid := range pids {
		if err := syscall.Kill(-pid, 0); err != syscall.ESRCH {
			t.Errorf("emulator process group %d still exists after up stopped (kill -0: %v)", pid, err)
		}
	}
}

// emulatorPIDs returns the "pid" fields of the JSON log lines.
func emulatorPIDs(logs string) []int {
	var pids []int
	sc := bufio.NewScanner(strings.NewReader(logs))
	for sc.Scan() {
		var line struct{ PID int }
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.PID != 0 {
			pids = append(pids, line.PID)
		}
	}
	return pids
}

func TestMain(m *testing.M) { stacktest.Main(m) }
