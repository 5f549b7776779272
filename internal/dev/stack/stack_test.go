package stack

import (
	"bufio"
	"context"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestStartAndCommandLine starts the whole stack and drives each server
// with its usual command-line tool, configured only by the lines
// WriteShell prints, as a user of "ztfbridge-dev up" would.
func TestStartAndCommandLine(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	s, err := Start(ctx, testLogger(t), Config{
		Kafka:  KafkaOptions{Topics: []string{"ztf_20240715_programid1"}, Partitions: 16},
		PubSub: PubSubOptions{Topics: []string{"ztf-alerts"}},
		GCS:    GCSOptions{Buckets: []string{"ztf-alerts"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	var shell strings.Builder
	if err := s.WriteShell(&shell); err != nil {
		t.Fatal(err)
	}
	env := os.Environ()
	sc := bufio.NewScanner(strings.NewReader(shell.String()))
	for sc.Scan() {
		if kv, ok := strings.CutPrefix(sc.Text(), "export "); ok {
			name, value, _ := strings.Cut(kv, "=")
			env = append(env, name+"="+strings.Trim(value, "'"))
		}
	}

	for _, tc := range []struct {
		cmd  string
		want string
	}{
		{"kcat -b $ZTFBRIDGE_BROKERS -L", "topic \"ztf_20240715_programid1\" with 16 partitions"},
		{"gcloud pubsub topics list --format='value(name)'", "projects/ztfbridge-local/topics/ztf-alerts"},
		{"gcloud storage ls", "gs://ztf-alerts/"},
		{"gsutil ls", "gs://ztf-alerts/"},
		{"bq query --nouse_legacy_sql 'SELECT 40 + 2 AS answer'", "42"},
	} {
		t.Run(strings.Join(strings.Fields(tc.cmd)[:2], " "), func(t *testing.T) {
			cmd := exec.CommandContext(ctx, "sh", "-c", tc.cmd)
			cmd.Env = env
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%s: %v\n%s", tc.cmd, err, out)
			}
			if !strings.Contains(string(out), tc.want) {
				t.Errorf("%s printed:\n%s\nwant %q in it", tc.cmd, out, tc.want)
			}
		})
	}

	pids := []int{s.PubSub.PID(), s.BigQuery.PID()}
	s.Close()
	s.Close()
	for _, pid := range pids {
		if err := syscall.Kill(-pid, 0); err != syscall.ESRCH {
			t.Errorf("process group %d still exists after Close (kill -0: %v)", pid, err)
		}
	}
}

func TestShellQuote(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"127.0.0.1:9092,127.0.0.1:9093", "127.0.0.1:9092,127.0.0.1:9093"},
		{"http://127.0.0.1:4443/storage/v1/", "http://127.0.0.1:4443/storage/v1/"},
		{"", "''"},
		{"a b", "'a b'"},
		{"it's", `'it'\''s'`},
		{"$HOME", "'$HOME'"},
	} {
		if got := shellQuote(tc.in); got != tc.want {
			t.Errorf("shellQuote(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// TestPortInUse checks that a fixed port already taken is refused up
// front instead of reaching whatever listens there.
func TestPortInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	taken := l.Addr().(*net.TCPAddr).Port
	for _, tc := range []struct {
		name  string
		start func() error
	}{
		{"pubsub", func() error {
			_, err := StartPubSub(context.Background(), testLogger(t), PubSubOptions{Port: taken})
			return err
		}},
		{"bigquery", func() error {
			_, err := StartBigQuery(context.Background(), testLogger(t), BigQueryOptions{GRPCPort: taken})
			return err
		}},
		{"kafka", func() error {
			_, err := StartKafka(context.Background(), KafkaOptions{Port: taken})
			return err
		}},
		{"gcs", func() error {
			_, err := StartGCS(context.Background(), GCSOptions{HTTPSPort: taken})
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.start(); err == nil || !strings.Contains(err.Error(), "address already in use") {
				t.Errorf("start on a taken port: err = %v, want address already in use", err)
			}
		})
	}
}
