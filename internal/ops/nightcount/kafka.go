package nightcount

import (
	"errors"
	"fmt"

	"github.com/IBM/sarama"
)

// Range is the span of offsets a partition retains: messages Oldest to
// Newest-1. Newest is the offset the next message will get.
type Range struct {
	Oldest, Newest int64
}

// Offsets returns the retained range of every partition of topic. A topic
// the brokers do not have is an error wrapping sarama.ErrUnknownTopicOrPartition.
func Offsets(client sarama.Client, topic string) (map[int32]Range, error) {
	parts, err := client.Partitions(topic)
	if err != nil {
		return nil, fmt.Errorf("partitions of %s: %w", topic, err)
	}
	ranges := make(map[int32]Range, len(parts))
	for _, p := range parts {
		var r Range
		if r.Oldest, err = client.GetOffset(topic, p, sarama.OffsetOldest); err != nil {
			return nil, fmt.Errorf("oldest offset of %s/%d: %w", topic, p, err)
		}
		if r.Newest, err = client.GetOffset(topic, p, sarama.OffsetNewest); err != nil {
			return nil, fmt.Errorf("newest offset of %s/%d: %w", topic, p, err)
		}
		ranges[p] = r
	}
	return ranges, nil
}

// NewKafkaClient connects to brokers speaking version (e.g. "2.8.0").
// The caller closes the client.
func NewKafkaClient(brokers []string, version string) (sarama.Client, error) {
	sc := sarama.NewConfig()
	v, err := sarama.ParseKafkaVersion(version)
	if err != nil {
		return nil, fmt.Errorf("kafka version: %w", err)
	}
	sc.Version = v
	sc.ClientID = "ztfbridge-count"
	client, err := sarama.NewClient(brokers, sc)
	if err != nil {
		return nil, fmt.Errorf("connect to %v: %w", brokers, err)
	}
	return client, nil
}

// countKafka sums the retained messages of topic; nil when the brokers no
// longer (or not yet) have it.
func countKafka(cfg Config, topic string) (*int64, error) {
	client, err := NewKafkaClient(cfg.Brokers, cfg.KafkaVersion)
	if err != nil {
		return nil, err
	}
	defer client.Close()
	ranges, err := Offsets(client, topic)
	if errors.Is(err, sarama.ErrUnknownTopicOrPartition) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var n int64
	for _, r := range ranges {
		n += r.Newest - r.Oldest
	}
	return &n, nil
}
