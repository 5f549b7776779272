package config

import (
	"bytes"
	"flag"
	"strings"
	"testing"
	"time"
)

func TestEnvName(t *testing.T) {
	for flagName, want := range map[string]string{
		"batch-size":   "ZTFBRIDGE_BATCH_SIZE",
		"metrics-addr": "ZTFBRIDGE_METRICS_ADDR",
		"kafka.tls":    "ZTFBRIDGE_KAFKA_TLS",
	} {
		if got := EnvName(flagName); got != want {
			t.Errorf("EnvName(%q) = %q, want %q", flagName, got, want)
		}
	}
}

func TestParseEnvPrecedence(t *testing.T) {
	tests := []struct {
		name      string
		env       map[string]string
		args      []string
		wantBatch int
		wantWait  time.Duration
		wantErr   bool
	}{
		{"defaults", nil, nil, 500, time.Second, false},
		{"env", map[string]string{"ZTFBRIDGE_BATCH_SIZE": "64"}, nil, 64, time.Second, false},
		{"flag beats env", map[string]string{"ZTFBRIDGE_BATCH_SIZE": "64"}, []string{"--batch-size=8"}, 8, time.Second, false},
		{"duration env", map[string]string{"ZTFBRIDGE_WAIT": "3s"}, nil, 500, 3 * time.Second, false},
		{"bad env", map[string]string{"ZTFBRIDGE_BATCH_SIZE": "many"}, nil, 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := flag.NewFlagSet("x", flag.ContinueOnError)
			fs.SetOutput(new(bytes.Buffer))
			batch := fs.Int("batch-size", 500, "messages per batch")
			wait := fs.Duration("wait", time.Second, "wait")
			err := ParseEnv(fs, tt.args, func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok })
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if tt.wantErr {
				if !strings.Contains(err.Error(), "ZTFBRIDGE_BATCH_SIZE") {
					t.Errorf("error %q does not name the variable", err)
				}
				return
			}
			if *batch != tt.wantBatch || *wait != tt.wantWait {
				t.Errorf("batch=%d wait=%v, want %d %v", *batch, *wait, tt.wantBatch, tt.wantWait)
			}
		})
	}
}

func TestUsageNamesVariables(t *testing.T) {
	fs := flag.NewFlagSet("connect", flag.ContinueOnError)
	var out bytes.Buffer
	fs.SetOutput(&out)
	fs.Int("consumers", 2, "parallel `N` consumers")
	SetUsage(fs)
	fs.Usage()
	for _, want := range []string{"--consumers N", "$ZTFBRIDGE_CONSUMERS", "(default 2)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("usage lacks %q:\n%s", want, out.String())
		}
	}
}

func TestList(t *testing.T) {
	for _, tc := range []struct {
		set  string
		want string
	}{
		{"a,b", "a|b"},
		{" a , b ,,c", "a|b|c"},
		{"", ""},
	} {
		l := []string{"default"}
		if err := List(&l).Set(tc.set); err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(l, "|"); got != tc.want {
			t.Errorf("Set(%q) = %q, want %q (the default replaced)", tc.set, got, tc.want)
		}
	}
}
