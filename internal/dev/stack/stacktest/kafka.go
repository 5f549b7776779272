package stacktest

import (
	"testing"

	"github.com/IBM/sarama"

	"github.com/ztfbridge/ztfbridge/internal/core/kafkaclient"
)

// KafkaClient returns a client of the Kafka brokers (such as a
// stack.Kafka's Addrs), made by kafkaclient as the commands make theirs,
// for reading what a test made happen: partitions, offsets, messages. It
// is closed when t ends; make it once, not in a polling loop.
func KafkaClient(t testing.TB, brokers []string) sarama.Client {
	t.Helper()
	cfg := kafkaclient.DefaultConfig()
	cfg.Brokers = brokers
	client, err := cfg.Connect()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	return client
}

// KafkaAdmin returns an admin client of the Kafka brokers, for committed
// offsets and a group's state, made and closed as KafkaClient.
func KafkaAdmin(t testing.TB, brokers []string) sarama.ClusterAdmin {
	t.Helper()
	admin, err := sarama.NewClusterAdminFromClient(KafkaClient(t, brokers))
	if err != nil {
		t.Fatal(err)
	}
	return admin
}
