package functions_test

import (
	"flag"
	"strings"
	"testing"

	"github.com/ztfbridge/ztfbridge/functions"
	"github.com/ztfbridge/ztfbridge/internal/core/config"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*functions.Config)
		wantErr string // substring; empty for valid
	}{
		{"defaults plus bucket", func(c *functions.Config) {}, ""},
		{"no bucket", func(c *functions.Config) { c.Bucket = "" }, "--bucket is required"},
		{"every placeholder", func(c *functions.Config) { c.Prefix = "{year}/{month}/{day}/{night}/{topic}/" }, ""},
		{"unknown placeholder", func(c *functions.Config) { c.Prefix = "{date}/" }, "unknown placeholder {date}"},
		{"empty quarantine prefix", func(c *functions.Config) { c.QuarantinePrefix = "" }, "--quarantine-prefix"},
		{"quarantine prefix not a folder", func(c *functions.Config) { c.QuarantinePrefix = "bad_" }, "--quarantine-prefix"},
		{"every problem reported", func(c *functions.Config) { c.Bucket, c.QuarantinePrefix = "", "bad_" }, "--bucket is required\n--quarantine-prefix"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := functions.DefaultConfig()
			cfg.Bucket = "alerts"
			tt.edit(&cfg)
			fs := flag.NewFlagSet("serve-function", flag.ContinueOnError)
			cfg.AddFlags(fs) // sets each field to its own value
			err := config.InFlags(cfg.Validate(), fs, &cfg)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("Validate() = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

// TestConfigFromEnvironment checks the variable names docs/function.md
// gives for the deployed function.
func TestConfigFromEnvironment(t *testing.T) {
	env := map[string]string{
		"ZTFBRIDGE_BUCKET":            "ztf-alerts",
		"ZTFBRIDGE_PREFIX":            "{year}/",
		"ZTFBRIDGE_QUARANTINE_PREFIX": "bad/",
	}
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	cfg := functions.DefaultConfig()
	cfg.AddFlags(fs)
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	if err := config.ParseEnv(fs, nil, lookup); err != nil {
		t.Fatal(err)
	}
	want := functions.Config{Bucket: "ztf-alerts", Prefix: "{year}/", QuarantinePrefix: "bad/"}
	if cfg != want {
		t.Errorf("config from environment = %+v, want %+v", cfg, want)
	}
}
