package attr_test

import (
	"fmt"
	"time"

	"github.com/ztfbridge/ztfbridge/internal/core/attr"
)

// The connector writes a message's Kafka position into its attributes; the
// function and the loader read it back.
func Example() {
	m := map[string]string{}
	attr.Kafka{Topic: "ztf_20240715_programid1", Partition: 7, Offset: 123456789, Timestamp: time.UnixMilli(1721016000123)}.Set(m)
	fmt.Println(m[attr.KafkaTopic], m[attr.KafkaPartition], m[attr.KafkaOffset], m[attr.KafkaTimestamp])

	k, err := attr.ParseKafka(m)
	fmt.Println(k.Topic, k.Partition, k.Offset, k.Timestamp.Format(time.RFC3339Nano), err)

	// A message the connector did not publish has no position.
	k, err = attr.ParseKafka(map[string]string{attr.Candid: "2803123456015015010"})
	fmt.Println(k == attr.Kafka{}, err)
	// Output:
	// ztf_20240715_programid1 7 123456789 1721016000123
	// ztf_20240715_programid1 7 123456789 2024-07-15T04:00:00.123Z <nil>
	// true <nil>
}
