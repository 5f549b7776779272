package connector_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ztfbridge/ztfbridge/internal/dev/stack/stacktest"
)

// buildZtfbridge builds the ztfbridge command into a temporary folder.
func buildZtfbridge(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ztfbridge")
	cmd := exec.CommandContext(t.Context(), "go", "build", "-o", bin, "./cmd/ztfbridge")
	cmd.Dir = stacktest.RepoRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestKillAndRestartLosesNothing runs "ztfbridge connect" as a process,
// kills it with SIGKILL twice in the middle of a night, restarts it each
// time, and checks that every alert reached Pub/Sub (duplicates allowed);
// then stops it with SIGTERM and checks that it exits cleanly with every
// offset committed.
func TestKillAndRestartLosesNothing(t *testing.T) {
	bin := buildZtfbridge(t)
	b := newBridge(t)
	topic, packets := b.produceNight(time.Date(2024, 10, 3, 0, 0, 0, 0, time.UTC), 2000, 11, 8)

	args := []string{"connect",
		"--brokers", strings.Join(b.kafka.Addrs(), ","), "--topic", topic, "--group", b.cfg.Group,
		"--pubsub-project", b.pubsub.Project, "--pubsub-topic", b.cfg.PubSubTopic, "--deadletter-topic", b.cfg.DeadLetterTopic,
		"--metrics-addr", "", "--commit-interval", "200ms", "--topic-poll-interval", "500ms",
		// Slow enough that the kills land mid-stream.
		"--max-outstanding-messages", "50", "--consumers", "2",
		// A restarted member waits for the killed ones to leave the group.
		"--drain-timeout", "5s",
	}
	logs := filepath.Join(t.TempDir(), "connect.log")
	start := func() *exec.Cmd {
		t.Helper()
		f, err := os.OpenFile(logs, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), b.pubsub.Env()...)
		cmd.Stdout, cmd.Stderr = f, f
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if cmd.ProcessState == nil {
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
			}
		})
		return cmd
	}
	t.Cleanup(func() {
		if t.Failed() {
			out, _ := os.ReadFile(logs)
			t.Logf("ztfbridge connect logs:\n%s", out)
		}
	})

	for _, killAt := range []int{len(packets) / 5, len(packets) / 2} {
		cmd := start()
		stacktest.WaitFor(t, 3*time.Minute, "alerts stopped arriving", func() bool { return len(b.alerts.byCandid()) >= killAt })
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		// Let what the dead process published finish arriving, so that the
		// next kill lands on the next process's work.
		got := len(b.alerts.byCandid())
		for settled := false; !settled; {
			time.Sleep(time.Second)
			now := len(b.alerts.byCandid())
			settled, got = now == got, now
		}
		if got >= len(packets) {
			t.Fatalf("all %d alerts arrived before the kill: the test proves nothing", got)
		}
		t.Logf("killed with %d of %d alerts in Pub/Sub", got, len(packets))
	}

	cmd := start()
	b.alerts.waitCandids(t, packets, 5*time.Minute)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("after SIGTERM: %v", err)
	}
	assertCommittedToEnd(t, b.kafka.Addrs(), b.cfg.Group, topic)
	t.Logf("%d deliveries for %d alerts (%d duplicates)", len(b.alerts.snapshot()), len(packets), len(b.alerts.snapshot())-len(packets))
}
