package stacktest_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/ztfbridge/ztfbridge/internal/dev/stack/stacktest"
)

func TestMain(m *testing.M) { stacktest.Main(m) }

func TestSharedEmulators(t *testing.T) {
	for _, tc := range []struct {
		name  string
		start func(t *testing.T) any
	}{
		{"pubsub", func(t *testing.T) any { return stacktest.PubSub(t) }},
		{"bigquery", func(t *testing.T) any { return stacktest.BigQuery(t) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if a, b := tc.start(t), tc.start(t); a != b {
				t.Errorf("two calls under Main started two %s emulators", tc.name)
			}
		})
	}
}

func TestPubSubIsUsable(t *testing.T) {
	p := stacktest.PubSub(t)
	topic := stacktest.Name(t, "alerts")
	if _, err := p.ResetTopic(context.Background(), topic); err != nil {
		t.Fatal(err)
	}
}

func TestName(t *testing.T) {
	valid := regexp.MustCompile(`^[a-z][a-z0-9_]{2,62}$`)
	seen := map[string]bool{}
	for range 3 {
		n := stacktest.Name(t, "alerts")
		if !valid.MatchString(n) {
			t.Errorf("Name = %q, not a valid topic/dataset/bucket name", n)
		}
		if seen[n] {
			t.Errorf("Name returned %q twice", n)
		}
		seen[n] = true
	}
}

func TestAlertsDir(t *testing.T) {
	if _, err := os.Stat(filepath.Join(stacktest.RepoRoot(t), "go.mod")); err != nil {
		t.Error(err)
	}
	files, _ := filepath.Glob(filepath.Join(stacktest.AlertsDir(t), "*"))
	if len(files) < 3 {
		t.Errorf("AlertsDir holds %d entries", len(files))
	}
}

func TestKafkaAndGCS(t *testing.T) {
	if k := stacktest.Kafka(t); len(k.Addrs()) != 1 {
		t.Errorf("Kafka has %d brokers, want 1", len(k.Addrs()))
	}
	g := stacktest.GCS(t, "alerts")
	c, err := g.Client(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Bucket("alerts").Attrs(t.Context()); err != nil {
		t.Errorf("bucket alerts: %v", err)
	}
}
