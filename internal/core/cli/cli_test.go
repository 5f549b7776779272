package cli_test

import (
	"bytes"
	"errors"
	"flag"
	"strings"
	"testing"

	"github.com/ztfbridge/ztfbridge/internal/core/cli"
	"github.com/ztfbridge/ztfbridge/internal/core/config"
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
