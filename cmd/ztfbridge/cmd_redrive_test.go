package main

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"cloud.google.com/go/pubsub/v2"

	"github.com/ztfbridge/ztfbridge/internal/core/attr"
	"github.com/ztfbridge/ztfbridge/internal/dev/stack/stacktest"
)

// TestRedriveCommand runs `ztfbridge redrive` on the Pub/Sub emulator,
// found through PUBSUB_EMULATOR_HOST as on the local stack: a dry run
// counts by reason and moves nothing, a run moves one reason and says so.
// Package redrive's tests check what reaches which subscription.
func TestRedriveCommand(t *testing.T) {
	p := stacktest.PubSub(t)
	for _, kv := range p.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	for _, v := range []string{"ZTFBRIDGE_PUBSUB_TOPIC", "ZTFBRIDGE_REASON", "ZTFBRIDGE_NIGHT", "ZTFBRIDGE_DRY_RUN", "ZTFBRIDGE_LIMIT", "ZTFBRIDGE_IDLE"} {
		t.Setenv(v, "") // restored when the test ends
		os.Unsetenv(v)
	}
	ctx := t.Context()
	alerts, dead, hold := stacktest.Name(t, "alerts"), stacktest.Name(t, "dead"), stacktest.Name(t, "hold")
	for _, topic := range []string{alerts, dead} {
		if _, err := p.ResetTopic(ctx, topic); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := p.ResetPullSubscription(ctx, hold, dead); err != nil {
		t.Fatal(err)
	}
	client, err := p.Client(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	pub := client.Publisher(dead)
	var results []*pubsub.PublishResult
	for i, e := range []string{"undecodable: a", "undecodable: b", "undecodable: c", "rejected: d", "rejected: e"} {
		results = append(results, pub.Publish(ctx, &pubsub.Message{Data: fmt.Appendf(nil, "%d", i), Attributes: map[string]string{attr.Error: e, attr.KafkaTopic: "ztf_20240715_programid1"}}))
	}
	for _, r := range results {
		if _, err := r.Get(ctx); err != nil {
			t.Fatal(err)
		}
	}
	pub.Stop()

	args := []string{"redrive", "--pubsub-project", p.Project, "--deadletter-subscription", hold, "--pubsub-topic", alerts, "--idle", "3s", "--reason", "undecodable"}
	tests := []struct {
		name  string
		extra []string
		want  []string
	}{
		{"dry run", []string{"--dry-run"}, []string{"rejected                 2\n", "undecodable              3\n",
			"(reason undecodable): would republish 3 of 5; failed 0; left on " + hold + " 5\n"}},
		{"one reason", nil, []string{"(reason undecodable): republished 3 of 5; failed 0; left on " + hold + " 2\n"}},
	}
	for _, tt := range tests {
		code, out := runCommand(t, slices.Concat(args, tt.extra)...)
		if code != 0 {
			t.Errorf("%s: exit %d, output\n%s", tt.name, code, out)
		}
		for _, w := range tt.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: output\n%s\nwant %q", tt.name, out, w)
			}
		}
	}

	for _, bad := range [][]string{{"redrive", "extra"}, {"redrive", "--idle", "soon"}, {"redrive", "--pubsub-project", ""}} {
		if code, _ := runCommand(t, bad...); code != 2 {
			t.Errorf("ztfbridge %s: exit %d, want 2", strings.Join(bad, " "), code)
		}
	}
}
