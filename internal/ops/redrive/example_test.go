package redrive_test

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"cloud.google.com/go/pubsub/v2"

	"github.com/ztfbridge/ztfbridge/internal/core/attr"
	"github.com/ztfbridge/ztfbridge/internal/core/deps"
	"github.com/ztfbridge/ztfbridge/internal/dev/stack"
	"github.com/ztfbridge/ztfbridge/internal/ops/redrive"
)

// Put the undecodable dead letters back on the alert topic once the decoder
// is fixed, as "ztfbridge redrive --reason undecodable" does. Here the
// Pub/Sub server is the in-process fake; the rejected dead letter stays on
// the hold subscription.
func Example() {
	ctx := context.Background()
	p, err := stack.StartPubSub(ctx, slog.New(slog.DiscardHandler), stack.PubSubOptions{InProcess: true, Topics: []string{"ztf-alerts", "ztf-alerts-deadletter"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer p.Close()
	if _, err := p.ResetPullSubscription(ctx, "ztf-alerts-deadletter-hold", "ztf-alerts-deadletter"); err != nil {
		fmt.Println(err)
		return
	}
	client, err := p.Client(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()
	pub := client.Publisher("ztf-alerts-deadletter")
	for _, reason := range []string{"undecodable", "undecodable", "rejected"} {
		_, err := pub.Publish(ctx, &pubsub.Message{Data: []byte("Obj\x01..."), Attributes: map[string]string{
			attr.KafkaTopic: "ztf_20240715_programid1", attr.Reason: reason, attr.Error: reason + ": ...",
		}}).Get(ctx)
		if err != nil {
			fmt.Println(err)
			return
		}
	}
	pub.Stop()

	cfg := redrive.DefaultConfig()
	cfg.Project = p.Project
	cfg.Reason = "undecodable"
	cfg.Idle = time.Second // the subscription holds all it will
	res, err := redrive.Run(ctx, cfg, deps.WithPubSubOptions(p.ClientOptions()...), deps.WithLogger(slog.New(slog.DiscardHandler)))
	fmt.Println(res)
	fmt.Println(res.ByReason, err)
	// Output:
	// seen 3, matched 2, republished 2, failed 0, left on the subscription 1
	// map[rejected:1 undecodable:2] <nil>
}
