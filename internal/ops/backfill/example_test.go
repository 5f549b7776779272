package backfill_test

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/ztfbridge/ztfbridge/internal/core/deps"
	"github.com/ztfbridge/ztfbridge/internal/core/night"
	"github.com/ztfbridge/ztfbridge/internal/dev/stack"
	"github.com/ztfbridge/ztfbridge/internal/ops/backfill"
)

// Backfill a night with the connector's settings. Here the brokers (an empty
// local Kafka) no longer hold the night, so there is nothing to backfill;
// with the topic retained, Run returns once every message is committed.
func Example() {
	ctx := context.Background()
	k, err := stack.StartKafka(ctx, stack.KafkaOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer k.Close()

	cfg := backfill.DefaultConfig()
	cfg.Connector.Brokers = k.Addrs()
	cfg.Connector.PubSubProject = "my-project" // required; Run checks every setting before it reads Kafka
	cfg.Group = "backfill-20201227"
	res, err := backfill.Run(ctx, cfg, night.Of(time.Date(2020, 12, 27, 0, 0, 0, 0, time.UTC)), deps.WithLogger(slog.New(slog.DiscardHandler)))
	fmt.Println(res.Topic, res.Group, res.Messages)
	fmt.Println(err)
	// Output:
	// ztf_20201227_programid1 backfill-20201227 0
	// the brokers no longer retain ztf_20201227_programid1 (or never had it): nothing to backfill: kafka server: Request was for a topic or partition that does not exist on this broker
}
