package connector

import (
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ztfbridge/ztfbridge/internal/core/config"
	"github.com/ztfbridge/ztfbridge/internal/core/kafkaclient"
)

func TestConfigCheck(t *testing.T) {
	passwordFile := filepath.Join(t.TempDir(), "password")
	if err := os.WriteFile(passwordFile, []byte("pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	valid := func() Config {
		c := DefaultConfig()
		c.PubSubProject = "p"
		return c
	}
	tests := []struct {
		name   string
		change func(*Config)
		want   string // substring of the error; "" for none
	}{
		{"defaults plus a project", func(*Config) {}, ""},
		{"no project", func(c *Config) { c.PubSubProject = "" }, "--pubsub-project is required"},
		{"two topic selectors", func(c *Config) { c.KafkaTopic, c.TopicRegex = "a", "b" }, "--topic excludes --topics and --topic-regex"},
		{"bad regex", func(c *Config) { c.TopicRegex = "(" }, "--topic-regex"},
		{"no brokers", func(c *Config) { c.Brokers = nil }, "--brokers lists no Kafka broker"},
		{"zero consumers", func(c *Config) { c.Consumers = 0 }, "--consumers must be positive"},
		{"zero session timeout", func(c *Config) { c.SessionTimeout = 0 }, "--session-timeout must be positive"},
		{"every problem reported", func(c *Config) { c.Group, c.Consumers = "", 0 }, "--group is required\n--consumers must be positive"},
		{"flow control below one message", func(c *Config) { c.MaxOutstandingBytes = c.MaxMessageBytes - 1 }, "must hold one message"},
		{"unknown SASL mechanism", func(c *Config) { c.SASLMechanism = "GSSAPI" }, "want PLAIN"},
		{"SASL without password", func(c *Config) { c.SASLMechanism, c.SASLUser = "PLAIN", "u" }, "needs --sasl-user and a password"},
		{"SASL password from a file", func(c *Config) {
			c.SASLMechanism, c.SASLUser, c.SASLPasswordFile = "SCRAM-SHA-256", "u", passwordFile
		}, ""},
		{"missing password file", func(c *Config) {
			c.SASLMechanism, c.SASLUser, c.SASLPasswordFile = "PLAIN", "u", passwordFile+".missing"
		}, "--sasl-password-file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid()
			tt.change(&c)
			fs := flag.NewFlagSet("connect", flag.ContinueOnError)
			c.AddFlags(fs) // sets each field to its own value
			err := config.InFlags(c.Validate(), fs, &c)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestSaramaSession checks that --session-timeout is the group session
// sarama asks for, with heartbeats every 3 s (so that a member hears of a
// rebalance as soon as with the default), or every third of a shorter one.
func TestSaramaSession(t *testing.T) {
	for _, tt := range []struct{ session, heartbeat time.Duration }{
		{10 * time.Second, 3 * time.Second},
		{time.Minute, 3 * time.Second},
		{6 * time.Second, 2 * time.Second},
	} {
		c := DefaultConfig()
		c.SessionTimeout = tt.session
		sc, err := c.SaramaConfig()
		if err != nil {
			t.Fatal(err)
		}
		if sc.Consumer.Group.Session.Timeout != tt.session || sc.Consumer.Group.Heartbeat.Interval != tt.heartbeat {
			t.Errorf("session %v: sarama has session %v, heartbeat %v; want heartbeat %v", tt.session, sc.Consumer.Group.Session.Timeout, sc.Consumer.Group.Heartbeat.Interval, tt.heartbeat)
		}
	}
}

// TestFlagsMapToConfig checks that every flag sets its Config field.
func TestFlagsMapToConfig(t *testing.T) {
	c := DefaultConfig()
	fs := flag.NewFlagSet("connect", flag.ContinueOnError)
	c.AddFlags(fs)
	err := fs.Parse([]string{
		"--brokers", "a:1, b:2", "--group", "g", "--topics", "x,y", "--consumers", "4", "--batch-size", "8",
		"--dedup-replay", "--dedup-max", "10", "--publish-delay", "5ms", "--counts-bucket", "bk",
		"--sasl-password", "pw", "--max-outstanding-bytes", "99999999",
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.Brokers, ",") != "a:1,b:2" || c.Group != "g" || strings.Join(c.Topics, ",") != "x,y" ||
		c.Consumers != 4 || c.BatchSize != 8 || !c.DedupReplay || c.DedupMax != 10 || c.PublishDelay != 5*time.Millisecond ||
		c.CountsBucket != "bk" || c.SASLPassword != "pw" || c.MaxOutstandingBytes != 99999999 {
		t.Errorf("flags not mapped: %+v", c)
	}
	if !strings.Contains(fs.Lookup("brokers").DefValue, "public.alerts.ztf.uw.edu:9092") {
		t.Errorf("--brokers default %q", fs.Lookup("brokers").DefValue)
	}
	var n int
	fs.VisitAll(func(*flag.Flag) { n++ })
	// The embedded kafkaclient.Config counts by its fields, less ClientID.
	kafkaFields := reflect.TypeFor[kafkaclient.Config]().NumField() - 1
	if fields := reflect.TypeFor[Config]().NumField() - 1 + kafkaFields; n != fields {
		t.Errorf("%d flags for %d Config fields", n, fields)
	}
	var logged strings.Builder
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "config", c)
	if strings.Contains(logged.String(), "pw") || !strings.Contains(logged.String(), `"group":"g"`) {
		t.Errorf("logged config %s: want the group, not the password", logged.String())
	}
}
