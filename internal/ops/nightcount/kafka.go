package nightcount

import (
	"errors"

	"github.com/IBM/sarama"

	"github.com/ztfbridge/ztfbridge/internal/core/kafkaclient"
)

// countKafka sums the retained messages of topic; nil when the brokers no
// longer (or not yet) have it.
func countKafka(cfg Config, topic string) (*int64, error) {
	client, err := cfg.Connect()
	if err != nil {
		return nil, err
	}
	defer client.Close()
	ranges, err := kafkaclient.Offsets(client, topic)
	if errors.Is(err, sarama.ErrUnknownTopicOrPartition) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var n int64
	for _, r := range ranges {
		n += r.Len()
	}
	return &n, nil
}
