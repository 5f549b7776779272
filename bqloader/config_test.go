package bqloader

import (
	"flag"
	"strings"
	"testing"

	"github.com/ztfbridge/ztfbridge/internal/core/config"
)

// TestConfigValidate checks that Validate reports every problem of a
// configuration at once, and changes nothing.
func TestConfigValidate(t *testing.T) {
	valid := func() Config {
		c := DefaultConfig()
		c.Project = "p"
		return c
	}
	tests := []struct {
		name   string
		change func(*Config)
		want   []string // substrings of the error; none for a valid configuration
	}{
		{"defaults plus a project", func(*Config) {}, nil},
		{"no pubsub project: it is the project's", func(c *Config) { c.PubSubProject = "" }, nil},
		{"no project", func(c *Config) { c.Project = "" }, []string{"--project is required"}},
		{"empty topic", func(c *Config) { c.PubSubTopic = "" }, []string{"--pubsub-topic is required"}},
		{"batch too large", func(c *Config) { c.BatchBytes = 20_000_000 }, []string{"--batch-bytes must be between"}},
		{"three problems, all reported", func(c *Config) {
			c.Project, c.Dataset, c.BatchDelay = "", "", 0
		}, []string{"--project is required", "--dataset is required", "--batch-delay"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid()
			tt.change(&c)
			before := c
			fs := flag.NewFlagSet("load", flag.ContinueOnError)
			c.AddFlags(fs) // sets each field to its own value
			err := config.InFlags(c.Validate(), fs, &c)
			if len(tt.want) == 0 && err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			for _, w := range tt.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("error %v, want one containing %q", err, w)
				}
			}
			if c != before {
				t.Errorf("Validate changed the configuration: %+v, was %+v", c, before)
			}
		})
	}
}
