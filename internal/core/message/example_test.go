package message_test

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/ztfbridge/ztfbridge/internal/core/alert"
	"github.com/ztfbridge/ztfbridge/internal/core/attr"
	"github.com/ztfbridge/ztfbridge/internal/core/message"
	"github.com/ztfbridge/ztfbridge/internal/core/night"
	"github.com/ztfbridge/ztfbridge/internal/dev/synth"
)

// Check a message as every stage does: an alert travels with the attributes
// its packet names; anything else becomes a dead letter that keeps the Kafka
// coordinates and says why.
func Example() {
	packets, err := synth.Generate(synth.Config{Night: night.Of(time.Date(2024, 7, 15, 0, 0, 0, 0, time.UTC)), Seed: 1}, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	dec := alert.NewDecoder()
	kafka := attr.Kafka{Topic: "ztf_20240715_programid1", Partition: 3, Offset: 42, Timestamp: time.UnixMilli(1721016000123)}

	a, r := message.Check(dec, packets[0].Data)
	fmt.Println(a.Candid == packets[0].Alert.Candid, a.Night, r == nil)
	attrs := map[string]string{}
	kafka.Set(attrs)
	a.SetAttributes(attrs)
	fmt.Println(slices.Sorted(maps.Keys(attrs)))

	_, r = message.Check(dec, []byte("not an alert"))
	fmt.Println(r.Reason)
	attrs = map[string]string{}
	kafka.Set(attrs)
	dead := r.Attributes(attrs)
	fmt.Println(dead[attr.Reason], dead[attr.KafkaOffset], message.ReasonOf(dead) == message.Undecodable)
	fmt.Println(message.ValidAttributes(dead))
	// Output:
	// true 20240715 true
	// [candid kafka.offset kafka.partition kafka.timestamp kafka.topic night objectId schemavsn]
	// undecodable
	// undecodable 42 true
	// <nil>
}
