// Package attr names the Pub/Sub message attributes that the connector sets
// on each alert and that the function and the loader read back.
//
// The message data is always the alert's Kafka message bytes, unchanged.
// Attributes only describe it: where it came from in Kafka and a few fields
// read from the packet, so that subscribers can filter and name objects
// without decoding.
//
// Example writes a Kafka position into attributes and reads it back.
package attr

import (
	"fmt"
	"strconv"
	"time"
)

// Attribute keys.
const (
	KafkaTopic     = "kafka.topic"     // Kafka topic, ztf_YYYYMMDD_programid1
	KafkaPartition = "kafka.partition" // decimal partition number
	KafkaOffset    = "kafka.offset"    // decimal offset in the partition
	KafkaTimestamp = "kafka.timestamp" // Kafka message timestamp, Unix milliseconds

	Candid    = "candid"    // decimal candid, exact
	ObjectID  = "objectId"  // ZTF object id
	SchemaVsn = "schemavsn" // the alert's schemavsn field
	Night     = "night"     // UTC night, YYYYMMDD

	// Reason and Error are set on dead letters (and quarantined objects)
	// only: Reason is one word from internal/message's list, Error the
	// reason with its detail, for people.
	Reason = "reason"
	Error  = "error"
)

// Kafka is the position of a message in Kafka.
type Kafka struct {
	Topic     string
	Partition int32
	Offset    int64
	Timestamp time.Time
}

// Set writes k's attributes into m.
func (k Kafka) Set(m map[string]string) {
	m[KafkaTopic] = k.Topic
	m[KafkaPartition] = strconv.FormatInt(int64(k.Partition), 10)
	m[KafkaOffset] = strconv.FormatInt(k.Offset, 10)
	m[KafkaTimestamp] = strconv.FormatInt(k.Timestamp.UnixMilli(), 10)
}

// ParseKafka reads the Kafka position from message attributes. A message
// without a kafka.topic attribute (not published by the connector) returns
// the zero Kafka and no error; malformed numbers are an error.
func ParseKafka(m map[string]string) (Kafka, error) {
	var k Kafka
	k.Topic = m[KafkaTopic]
	if k.Topic == "" {
		return Kafka{}, nil
	}
	if v, ok := m[KafkaPartition]; ok {
		p, err := strconv.ParseInt(v, 10, 32)
		if err != nil {
			return Kafka{}, fmt.Errorf("attribute %s=%q: %w", KafkaPartition, v, err)
		}
		k.Partition = int32(p)
	}
	if v, ok := m[KafkaOffset]; ok {
		o, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return Kafka{}, fmt.Errorf("attribute %s=%q: %w", KafkaOffset, v, err)
		}
		k.Offset = o
	}
	if v, ok := m[KafkaTimestamp]; ok {
		ms, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return Kafka{}, fmt.Errorf("attribute %s=%q: %w", KafkaTimestamp, v, err)
		}
		k.Timestamp = time.UnixMilli(ms).UTC()
	}
	return k, nil
}
