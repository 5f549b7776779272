package simulate_test

import (
	"context"
	"fmt"

	"github.com/ztfbridge/ztfbridge/internal/core/night"
	"github.com/ztfbridge/ztfbridge/internal/dev/simulate"
	"github.com/ztfbridge/ztfbridge/internal/dev/stack"
	"github.com/ztfbridge/ztfbridge/internal/dev/synth"
)

// Produce a synthetic night of 20 alerts and its 10am replay into a local
// Kafka, as "ztfbridge-dev simulate --count 20 --replay" does. Run
// creates the night's topic with 16 partitions, as ZTF's, and returns once
// the broker acknowledged every message of both passes.
func Example() {
	day, err := night.Parse("20201227")
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	k, err := stack.StartKafka(ctx, stack.KafkaOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer k.Close()

	src := simulate.Generated(synth.Config{Night: day, Seed: 1}, 20)
	p, err := simulate.Run(ctx, simulate.Config{
		Brokers:    k.Addrs(),
		Topic:      day.Topic(),
		Partitions: 16,
		Replay:     true,
	}, src)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s: pass %d, %d messages produced\n", day.Topic(), p.Pass, p.Produced)
	// Output:
	// ztf_20201227_programid1: pass 2, 40 messages produced
}
