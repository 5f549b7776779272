package stack

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2"
)

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), nil))
}

// TestPubSub publishes and receives through each kind of emulator, checks
// that ResetTopic really empties a topic, and that Close leaves no process
// and no listener behind.
func TestPubSub(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts PubSubOptions
	}{
		{"gcloud emulator", PubSubOptions{}},
		{"pstest", PubSubOptions{InProcess: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			started := time.Now()
			p, err := StartPubSub(ctx, testLogger(t), tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("started in %v", time.Since(started))
			if p.InProcess != tc.opts.InProcess {
				t.Fatalf("InProcess = %v, want %v", p.InProcess, tc.opts.InProcess)
			}
			defer p.Close()
			c, err := p.Client(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()

			publishReceive(t, p, c, "first", 200)
			// The second round on the same names must see only its own messages.
			publishReceive(t, p, c, "second", 50)

			if pid := p.PID(); pid != 0 {
				t.Logf("emulator RSS after 250 x 60 KB messages: %s", rss(pid))
			}
			pid := p.PID()
			p.Close()
			if _, err := net.DialTimeout("tcp", p.Addr, time.Second); err == nil {
				t.Errorf("%s still accepts connections after Close", p.Addr)
			}
			if pid != 0 {
				if err := syscall.Kill(-pid, 0); err != syscall.ESRCH {
					t.Errorf("process group %d still exists after Close (kill -0: %v)", pid, err)
				}
			}
		})
	}
}

// publishReceive resets topic "alerts-test" and subscription "alerts-test-sub", publishes n
// messages of 60 KB (an alert's size) and receives exactly them.
func publishReceive(t *testing.T, p *PubSub, c *pubsub.Client, round string, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := p.ResetTopic(ctx, "alerts-test"); err != nil {
		t.Fatal(err)
	}
	if _, err := p.ResetPullSubscription(ctx, "alerts-test-sub", "alerts-test"); err != nil {
		t.Fatal(err)
	}
	pub := c.Publisher("alerts-test")
	defer pub.Stop()
	body := strings.Repeat("x", 60_000)
	var results []*pubsub.PublishResult
	for i := range n {
		results = append(results, pub.Publish(ctx, &pubsub.Message{Data: []byte(body), Attributes: map[string]string{"id": fmt.Sprintf("%s-%d", round, i)}}))
	}
	for _, r := range results {
		if _, err := r.Get(ctx); err != nil {
			t.Fatalf("publish: %v", err)
		}
	}
	var mu sync.Mutex
	got := map[string]bool{}
	rctx, rcancel := context.WithCancel(ctx)
	err := c.Subscriber("alerts-test-sub").Receive(rctx, func(_ context.Context, m *pubsub.Message) {
		m.Ack()
		mu.Lock()
		defer mu.Unlock()
		got[m.Attributes["id"]] = true
		if !strings.HasPrefix(m.Attributes["id"], round+"-") {
			t.Errorf("round %s received %s from an earlier round", round, m.Attributes["id"])
		}
		if len(got) == n {
			rcancel()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("round %s received %d distinct messages, want %d", round, len(got), n)
	}
}

// TestPubSubPush checks that gcloud's emulator delivers a push subscription
// to an HTTP endpoint in the standard JSON wrapping.
func TestPubSubPush(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	p, err := StartPubSub(ctx, testLogger(t), PubSubOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if p.InProcess {
		t.Fatal("gcloud's emulator is needed for push delivery")
	}
	type pushed struct {
		Message struct {
			Data       []byte            `json:"data"`
			Attributes map[string]string `json:"attributes"`
		} `json:"message"`
		Subscription string `json:"subscription"`
	}
	got := make(chan pushed, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m pushed
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &m); err != nil {
			t.Errorf("push body %q: %v", b, err)
		}
		select {
		case got <- m:
		default:
		}
	}))
	defer srv.Close()
	if _, err := p.ResetTopic(ctx, "alerts"); err != nil {
		t.Fatal(err)
	}
	if _, err := p.ResetPushSubscription(ctx, "to-function", "alerts", srv.URL+"/push"); err != nil {
		t.Fatal(err)
	}
	c, err := p.Client(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	pub := c.Publisher("alerts")
	defer pub.Stop()
	if _, err := pub.Publish(ctx, &pubsub.Message{Data: []byte("avro"), Attributes: map[string]string{"candid": "42"}}).Get(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-got:
		if string(m.Message.Data) != "avro" || m.Message.Attributes["candid"] != "42" || m.Subscription != p.SubscriptionName("to-function") {
			t.Errorf("pushed %+v", m)
		}
	case <-ctx.Done():
		t.Fatal("no push delivery")
	}
}

// TestPubSubStartFailure checks that a failing emulator is reported with
// its log instead of a bare timeout.
func TestPubSubStartFailure(t *testing.T) {
	script := t.TempDir() + "/emulator"
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho 'broken emulator: no java'\nexit 3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := StartPubSub(context.Background(), testLogger(t), PubSubOptions{Emulator: script, StartTimeout: 10 * time.Second})
	if err == nil || !strings.Contains(err.Error(), "broken emulator: no java") {
		t.Fatalf("err = %v, want the emulator's log in it", err)
	}
}

// rss returns the resident memory of pid as /proc reports it.
func rss(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return err.Error()
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
