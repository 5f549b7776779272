package functions_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/ztfbridge/ztfbridge/functions"
	"github.com/ztfbridge/ztfbridge/internal/core/attr"
	"github.com/ztfbridge/ztfbridge/internal/dev/stack"
	"github.com/ztfbridge/ztfbridge/internal/dev/synth"
)

// TestCommandLineCountsANight stores a night, part of the next one, their
// replays and a quarantined message of the night, then counts the night
// with the commands docs/function.md gives, run against fake-gcs-server.
func TestCommandLineCountsANight(t *testing.T) {
	const n = 12
	a, _, g := newArchiver(t, functions.DefaultConfig())
	msgs, _ := synthetic(t, n)
	next, err := synth.New(synth.Config{Night: testNight.AddDays(1), Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		p, err := next.Next()
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, functions.Message{ID: "next", Data: p.Data})
	}
	bad := functions.Message{ID: "bad", Data: []byte("junk"), Attributes: map[string]string{attr.KafkaTopic: testNight.Topic()}}
	for range 2 { // the night and its replay
		for _, m := range append(msgs, bad) {
			if _, err := a.Store(t.Context(), m); err != nil {
				t.Fatal(err)
			}
		}
	}
	env := append(os.Environ(), append(g.Env(), stack.CLIEnv(stack.DefaultProject)...)...)
	glob := "gs://" + bucket + "/" + testNight.ObjectGlob()
	for _, cmd := range [][]string{
		{"gcloud", "storage", "ls", glob},
		{"gsutil", "ls", glob},
	} {
		t.Run(cmd[0], func(t *testing.T) {
			c := exec.CommandContext(t.Context(), cmd[0], cmd[1:]...)
			c.Env = env
			out, err := c.Output()
			if err != nil {
				t.Fatalf("%s: %v\n%s", strings.Join(cmd, " "), err, out)
			}
			if lines := strings.Fields(string(out)); len(lines) != n {
				t.Errorf("%s listed %d objects, want %d:\n%s", strings.Join(cmd, " "), len(lines), n, out)
			}
		})
	}
}
