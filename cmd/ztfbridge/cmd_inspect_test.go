package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ztfbridge/ztfbridge/internal/core/alert/alerttest"
	"github.com/ztfbridge/ztfbridge/internal/core/bqrow"
	"github.com/ztfbridge/ztfbridge/internal/core/cli"
	"github.com/ztfbridge/ztfbridge/internal/core/night"
	"github.com/ztfbridge/ztfbridge/internal/dev/synth"
)

// runCommand runs ztfbridge with args and returns its exit status and
// standard output.
func runCommand(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	e := cli.Env{Program: "ztfbridge", Stdout: &stdout, Stderr: &stderr, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	code := cli.Run(context.Background(), e, about, commands(), args)
	return code, stdout.String()
}

func TestInspect(t *testing.T) {
	dir := alerttest.Dir(t)
	good := filepath.Join(dir, "boom-astro+boom", "data", "alerts", "2752190655615010016.avro")
	bare := filepath.Join(dir, "ztf-avro-alert", "history", "vpre1.1_2017-03-30_6c9a815b", "data", "87704463155000.avro")
	multi := filepath.Join(dir, "astrolabsoftware+fink-client", "datatest", "avro_multi_alerts_other.avro")
	tests := []struct {
		name  string
		args  []string
		code  int
		lines int
		want  []string
	}{
		{"one alert", []string{good}, 0, 1, []string{`"candid":"2752190655615010016",`, `"objectId":"ZTF19aaococq"`, `"night":"20240715"`,
			`"topic":"ztf_20240715_programid1"`, `"n_prv_candidates":29`, `"n_upper_limits":14`, `"n_fp_hists":19`, `"n_cutouts":3`, `"schema_version":"4.02"`}},
		{"several records", []string{multi}, 0, 3, []string{`"candid":"1788110916115010009",`}},
		{"a broken file", []string{good, bare, "/no/such/file.avro"}, 1, 3, []string{`"error":"not an Avro object container file`, `"file":"/no/such/file.avro","error"`}},
		{"row", []string{"--row", good}, 0, 1, []string{`"row":{"candid":"2752190655615010016"`, `"night":"2024-07-15"`}},
		{"no files", nil, 2, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out := runCommand(t, append([]string{"inspect"}, tt.args...)...)
			if code != tt.code {
				t.Errorf("exit status %d, want %d", code, tt.code)
			}
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if out == "" {
				lines = nil
			}
			if len(lines) != tt.lines {
				t.Fatalf("%d lines, want %d:\n%s", len(lines), tt.lines, out)
			}
			for _, l := range lines {
				if !json.Valid([]byte(l)) {
					t.Errorf("not JSON: %s", l)
				}
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %s:\n%s", w, out)
				}
			}
		})
	}
}

// TestGenerateThenInspect inspects what "ztfbridge-dev generate" writes
// (synth.Generator.WriteDir).
func TestGenerateThenInspect(t *testing.T) {
	dir := t.TempDir()
	g, err := synth.New(synth.Config{Night: night.Of(time.Date(2025, 3, 2, 0, 0, 0, 0, time.UTC)), Seed: 9, Objects: 3})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := g.WriteDir(t.Context(), dir, 12); err != nil {
		t.Fatalf("generate: %v", err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.avro"))
	if len(files) != 12 {
		t.Fatalf("%d files, want 12", len(files))
	}
	code, out := runCommand(t, append([]string{"inspect"}, files...)...)
	if code != 0 {
		t.Fatalf("inspect: exit status %d\n%s", code, out)
	}
	objects := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var line inspectLine
		if err := json.Unmarshal([]byte(l), &line); err != nil {
			t.Fatal(err)
		}
		if filepath.Base(line.File) != strconv.FormatInt(line.Candid, 10)+".avro" || line.Night.String() != "20250302" || line.NCutouts != 3 {
			t.Errorf("line %s", l)
		}
		objects[line.ObjectID] = true
	}
	if len(objects) != 3 {
		t.Errorf("%d objects, want 3", len(objects))
	}
}

func TestSchemaCommand(t *testing.T) {
	for _, cutouts := range []bool{false, true} {
		args := []string{"schema"}
		if cutouts {
			args = append(args, "--cutouts")
		}
		code, out := runCommand(t, args...)
		want, err := bqrow.SchemaJSON(bqrow.Options{Cutouts: cutouts})
		if err != nil {
			t.Fatal(err)
		}
		if code != 0 || out != string(want) {
			t.Errorf("schema --cutouts=%v: exit %d, output differs from bqrow.SchemaJSON", cutouts, code)
		}
	}
}
