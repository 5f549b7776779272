package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/storage"

	"github.com/ztfbridge/ztfbridge/internal/core/night"
	"github.com/ztfbridge/ztfbridge/internal/dev/simulate"
	"github.com/ztfbridge/ztfbridge/internal/dev/stack/stacktest"
	"github.com/ztfbridge/ztfbridge/internal/dev/synth"
)

// TestReconcileExitStatus reconciles a night of 5 alerts in kfake whose
// bucket (fake-gcs-server, through STORAGE_EMULATOR_HOST) lacks 2: exit
// 1 naming them, --stage gcs writes them, and then exit 0.
func TestReconcileExitStatus(t *testing.T) {
	k, g := stacktest.Kafka(t), stacktest.GCS(t, "ztf-alerts")
	t.Setenv("STORAGE_EMULATOR_HOST", g.URL())
	for _, v := range []string{"ZTFBRIDGE_BROKERS", "ZTFBRIDGE_PROJECT", "ZTFBRIDGE_BUCKET"} {
		t.Setenv(v, "")
	}
	day := night.Of(time.Date(2020, 12, 27, 0, 0, 0, 0, time.UTC))
	packets, err := synth.Generate(synth.Config{Night: day, Seed: 1}, 5)
	if err != nil {
		t.Fatal(err)
	}
	data := make([][]byte, len(packets))
	for i, p := range packets {
		data[i] = p.Data
	}
	if _, err := simulate.Run(t.Context(), simulate.Config{Brokers: k.Addrs(), Topic: day.Topic(), Partitions: 1}, simulate.Packets(append(data, []byte("not an alert")))); err != nil {
		t.Fatal(err)
	}
	stages := []string{"--night", "20201227", "--brokers", k.Bootstrap(), "--bucket", "ztf-alerts", "--progress", "0"}
	lists := filepath.Join(t.TempDir(), "lists.tsv")
	c, err := storage.NewClient(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, p := range packets[2:] { // the first 2 never arrived
		w := c.Bucket("ztf-alerts").Object(night.ObjectName(day.Topic(), p.Candid)).NewWriter(t.Context())
		w.Write(p.Data)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	missing := "missing " + itoa(packets[0].Candid) + " from gcs at kafka 0/0"
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"missing", []string{"--out", lists}, 1, "gcs   |        5 |      3 |       2 |          0 | 0 quarantined\n"},
		{"names them", nil, 1, missing},
		{"dead letter, not missing", nil, 1, "dead_letter at kafka 0/5: undecodable: "},
		{"json", []string{"--json"}, 1, `{"list":"missing","candid":` + itoa(packets[1].Candid) + `,"stages":["gcs"],"kafka":{"partition":0,"offset":1}}`},
		{"repair gcs", []string{"--repair", "--stage", "gcs"}, 1, "repair (gcs): 2 read again from Kafka, 0 from GCS; 2 objects written to the bucket, 0 already there\n"},
		{"repaired", nil, 0, "verdict 20201227: OK: every alert is in every stage read\n"},
		{"repair again", []string{"--repair", "--stage", "gcs"}, 0, "repair (gcs): 0 read again from Kafka, 0 from GCS; 0 objects written"},
		{"missing bucket", []string{"--bucket", "nope"}, 3, ""},
		{"bad stage", []string{"--stage", "function"}, 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out := runCommand(t, append(append([]string{"reconcile"}, stages...), tt.args...)...)
			if code != tt.code || !strings.Contains(out, tt.want) {
				t.Errorf("exit %d, output\n%s\nwant exit %d and %q", code, out, tt.code, tt.want)
			}
		})
	}
	b, err := os.ReadFile(lists)
	if err != nil {
		t.Fatal(err)
	}
	if want := "missing\t" + itoa(packets[0].Candid) + "\tgcs\t0\t0\t\t\t\n"; !strings.Contains(string(b), want) {
		t.Errorf("--out wrote\n%s\nwant a line %q", b, want)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
