package main

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/ztfbridge/ztfbridge/functions"
	"github.com/ztfbridge/ztfbridge/internal/core/deps"
	"github.com/ztfbridge/ztfbridge/internal/core/night"
	"github.com/ztfbridge/ztfbridge/internal/dev/stack/stacktest"
	"github.com/ztfbridge/ztfbridge/internal/dev/synth"
)

// TestCountExitStatus counts a night of 5 alerts in fake-gcs-server, found
// through STORAGE_EMULATOR_HOST as on the local stack: the exit status
// says whether the verdict is good.
func TestCountExitStatus(t *testing.T) {
	g := stacktest.GCS(t, "ztf-alerts")
	t.Setenv("STORAGE_EMULATOR_HOST", g.URL())
	for _, v := range []string{"ZTFBRIDGE_BROKERS", "ZTFBRIDGE_PROJECT", "ZTFBRIDGE_BUCKET"} {
		t.Setenv(v, "")
	}
	a, err := functions.New(t.Context(), functions.Config{Bucket: "ztf-alerts", QuarantinePrefix: "quarantine/"}, deps.WithLogger(slog.New(slog.DiscardHandler)), deps.WithStorageOptions(g.ClientOptions()...))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	packets, err := synth.Generate(synth.Config{Night: night.Of(time.Date(2020, 12, 27, 0, 0, 0, 0, time.UTC)), Seed: 1}, 5)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range packets {
		if _, err := a.Store(t.Context(), functions.Message{ID: "1", Data: p.Data}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"as expected", []string{"--bucket", "ztf-alerts", "--expect", "5"}, 0, "20201227 |             n/a |              n/a |            5 |           n/a |              n/a\nverdict 20201227 (5 expected): OK\n"},
		{"lost", []string{"--bucket", "ztf-alerts", "--expect", "6"}, 1, "verdict 20201227 (6 expected): LOST: 1 of 6 alerts missing from GCS\n"},
		{"json", []string{"--bucket", "ztf-alerts", "--json"}, 0, `"gcs_objects":5,"bigquery_rows":null,`},
		{"missing bucket", []string{"--bucket", "nope"}, 3, "20201227 |             n/a |              n/a |          n/a |"},
		{"nothing configured", nil, 0, "verdict 20201227: OK\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out := runCommand(t, append([]string{"count", "--night", "20201227"}, tt.args...)...)
			if code != tt.code || !strings.Contains(out, tt.want) {
				t.Errorf("exit %d, output\n%s\nwant exit %d and %q", code, out, tt.code, tt.want)
			}
		})
	}
	for _, args := range [][]string{{"count"}, {"count", "--night", "2020-12-27"}, {"count", "--night", "20201227", "extra"},
		{"count", "--night", "20201227", "--brokers", "localhost:1", "--kafka-version", "0.1"}} {
		if code, _ := runCommand(t, args...); code != 2 {
			t.Errorf("ztfbridge %s: exit %d, want 2", strings.Join(args, " "), code)
		}
	}
}
