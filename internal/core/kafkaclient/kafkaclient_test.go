package kafkaclient_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ztfbridge/ztfbridge/internal/core/config"
	"github.com/ztfbridge/ztfbridge/internal/core/kafkaclient"
	"github.com/ztfbridge/ztfbridge/internal/dev/stack/stacktest"
)

func TestSarama(t *testing.T) {
	file := filepath.Join(t.TempDir(), "password")
	if err := os.WriteFile(file, []byte("s3cret\r\nignored\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ok := kafkaclient.Config{Brokers: []string{"127.0.0.1:9092"}, KafkaVersion: kafkaclient.DefaultVersion, ClientID: "ztfbridge-test"}
	tests := []struct {
		name    string
		change  func(c *kafkaclient.Config)
		wantErr string
	}{
		{"plaintext", func(*kafkaclient.Config) {}, ""},
		{"SCRAM with a password file", func(c *kafkaclient.Config) {
			c.SASLMechanism, c.SASLUser, c.SASLPasswordFile = "SCRAM-SHA-512", "alice", file
		}, ""},
		{"no brokers", func(c *kafkaclient.Config) { c.Brokers = nil }, "--brokers lists no Kafka broker"},
		{"old version", func(c *kafkaclient.Config) { c.KafkaVersion = "2.1.0" }, "need at least 2.8.0"},
		{"unknown mechanism", func(c *kafkaclient.Config) { c.SASLMechanism, c.SASLUser, c.SASLPassword = "GSSAPI", "a", "b" }, "want PLAIN"},
		{"no password", func(c *kafkaclient.Config) { c.SASLMechanism, c.SASLUser = "PLAIN", "alice" }, "needs --sasl-user and a password"},
		{"missing CA file", func(c *kafkaclient.Config) { c.TLS, c.TLSCAFile = true, "/nonexistent.pem" }, "--tls-ca-file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			tt.change(&c)
			fs := flag.NewFlagSet("kafka", flag.ContinueOnError)
			c.AddFlags(fs) // sets each field to its own value
			sc, err := c.Sarama()
			err = config.InFlags(err, fs, &c)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if sc.ClientID != "ztfbridge-test" || sc.Metadata.AllowAutoTopicCreation || sc.Version.String() != kafkaclient.DefaultVersion {
				t.Errorf("client id %q, auto-create %v, version %s", sc.ClientID, sc.Metadata.AllowAutoTopicCreation, sc.Version)
			}
			if c.SASLPasswordFile != "" && sc.Net.SASL.Password != "s3cret" {
				t.Errorf("password %q, want the file's first line", sc.Net.SASL.Password)
			}
		})
	}
}

func TestOffsets(t *testing.T) {
	k := stacktest.Kafka(t)
	if err := k.CreateTopic(context.Background(), "ztf_20201227_programid1", 3); err != nil {
		t.Fatal(err)
	}
	cfg := kafkaclient.DefaultConfig()
	cfg.Brokers = k.Addrs()
	client, err := cfg.Connect()
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	ranges, err := kafkaclient.Offsets(client, "ztf_20201227_programid1")
	if err != nil || len(ranges) != 3 || ranges[0].Len() != 0 {
		t.Errorf("ranges %v, %v; want 3 empty partitions", ranges, err)
	}
	if _, err := kafkaclient.Offsets(client, "ztf_20201228_programid1"); err == nil {
		t.Error("a topic the brokers lack has offsets")
	}
}
