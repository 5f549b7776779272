package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/ztfbridge/ztfbridge/internal/core/cli"
	"github.com/ztfbridge/ztfbridge/internal/core/config"
	"github.com/ztfbridge/ztfbridge/internal/core/logging"
)

// settings is a Config as the components have them.
type settings struct{ BatchRows int }

func (s *settings) AddFlags(fs *flag.FlagSet) {
	fs.IntVar(&s.BatchRows, "batch-rows", s.BatchRows, "rows per append")
}

func (s settings) Validate() error {
	var chk config.Check
	chk.Positive("BatchRows", int64(s.BatchRows))
	return chk.Err()
}

func TestParseOnlyFlagsAndValidate(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantErr    error  // of ParseOnlyFlags
		wantStderr string // substring
		wantValid  string // error of Validate; "" for none
	}{
		{name: "flags only", args: []string{"--batch-rows", "5"}},
		{name: "a setting that cannot work, said as its flag", args: []string{"--batch-rows", "0"}, wantValid: "--batch-rows must be positive"},
		{name: "an argument left over", args: []string{"--batch-rows", "5", "extra"}, wantErr: cli.ErrUsage, wantStderr: `ztfbridge load: unexpected arguments ["extra"]`},
		{name: "an unknown flag", args: []string{"--rows", "5"}, wantErr: cli.ErrUsage, wantStderr: "flag provided but not defined: -rows"},
		{name: "help", args: []string{"--help"}, wantErr: flag.ErrHelp, wantStderr: "[$ZTFBRIDGE_BATCH_ROWS]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			e := cli.Env{Program: "ztfbridge", Stderr: &stderr}
			s := settings{BatchRows: 1}
			fs := cli.NewFlagSet(e, "load")
			s.AddFlags(fs)
			err := cli.ParseOnlyFlags(e, fs, tt.args)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("ParseOnlyFlags = %v, want %v", err, tt.wantErr)
			}
			if !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("stderr %q, want it to say %q", stderr.String(), tt.wantStderr)
			}
			if err != nil {
				return
			}
			switch err := cli.Validate(fs, &s); {
			case tt.wantValid == "" && err != nil:
				t.Errorf("Validate = %v, want nil", err)
			case tt.wantValid != "" && (err == nil || err.Error() != tt.wantValid):
				t.Errorf("Validate = %v, want %q", err, tt.wantValid)
			}
		})
	}
}

func TestParseSettings(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		env        string // ZTFBRIDGE_NIGHT, when not empty
		wantErr    error
		wantStderr string // the whole of it
		wantRows   int
	}{
		{name: "every flag well given", args: []string{"--night", "20250101", "--batch-rows", "5"}, wantRows: 5},
		{name: "a required flag from the environment", env: "20250101", wantRows: 1},
		{name: "a required flag missing", args: []string{"--batch-rows", "5"}, wantErr: cli.ErrUsage, wantStderr: "ztfbridge load: --night YYYYMMDD is required\n"},
		{name: "a setting that cannot work, said as its flag", args: []string{"--night", "20250101", "--batch-rows", "0"}, wantErr: cli.ErrUsage, wantStderr: "ztfbridge load: --batch-rows must be positive\n"},
		{name: "an argument left over", args: []string{"--night", "20250101", "extra"}, wantErr: cli.ErrUsage, wantStderr: "ztfbridge load: unexpected arguments [\"extra\"]\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.env != "" {
				t.Setenv("ZTFBRIDGE_NIGHT", tt.env)
			}
			var stderr bytes.Buffer
			e := cli.Env{Program: "ztfbridge", Stderr: &stderr}
			s := settings{BatchRows: 1}
			fs := cli.NewFlagSet(e, "load")
			fs.String("night", "", "the night, `YYYYMMDD`")
			err := cli.ParseSettings(e, fs, tt.args, &s, "night")
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("ParseSettings = %v, want %v", err, tt.wantErr)
			}
			if stderr.String() != tt.wantStderr {
				t.Errorf("stderr %q, want %q", stderr.String(), tt.wantStderr)
			}
			if err == nil && s.BatchRows != tt.wantRows {
				t.Errorf("BatchRows = %d, want %d", s.BatchRows, tt.wantRows)
			}
		})
	}
}

// TestLogLevel runs a command that logs at every level, with --log-level
// or ZTFBRIDGE_LOG_LEVEL, and checks which records reach stderr.
func TestLogLevel(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  string // ZTFBRIDGE_LOG_LEVEL; "" = unset
		want []string
		code int
	}{
		{name: "default", want: []string{"INFO", "WARNING", "ERROR"}},
		{name: "flag", args: []string{"--log-level", "warn"}, want: []string{"WARNING", "ERROR"}},
		{name: "environment", env: "debug", want: []string{"DEBUG", "INFO", "WARNING", "ERROR"}},
		{name: "flag over environment", args: []string{"--log-level=error"}, env: "debug", want: []string{"ERROR"}},
		{name: "not a level", args: []string{"--log-level", "loud"}, code: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.env != "" {
				t.Setenv("ZTFBRIDGE_LOG_LEVEL", tt.env)
			}
			var stderr bytes.Buffer
			level := new(slog.LevelVar)
			e := cli.Env{Program: "ztfbridge", Stderr: &stderr, Log: logging.New(&stderr, level), Level: level}
			speak := cli.Command{Name: "speak", Run: func(ctx context.Context, e cli.Env, args []string) error {
				if err := cli.ParseOnlyFlags(e, cli.NewFlagSet(e, "speak"), args); err != nil {
					return err
				}
				for _, l := range []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError} {
					e.Log.Log(ctx, l, "said")
				}
				return nil
			}}
			if code := cli.Run(context.Background(), e, "speaks", []cli.Command{speak}, append([]string{"speak"}, tt.args...)); code != tt.code {
				t.Fatalf("exit status %d, want %d; stderr:\n%s", code, tt.code, stderr.String())
			}
			var got []string
			for line := range strings.SplitSeq(strings.TrimSpace(stderr.String()), "\n") {
				var rec struct{ Severity, Message string }
				if json.Unmarshal([]byte(line), &rec) == nil && rec.Message == "said" {
					got = append(got, rec.Severity)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("logged %q, want %q; stderr:\n%s", got, tt.want, stderr.String())
			}
		})
	}
}
