package stacktest

import (
	"testing"

	"github.com/IBM/sarama"
)

// KafkaClient returns a sarama client of the Kafka brokers (such as a
// stack.Kafka's Addrs), for reading what a test made happen: partitions,
// offsets, messages. It is closed when t ends; make it once, not in a
// polling loop.
func KafkaClient(t testing.TB, brokers []string) sarama.Client {
	t.Helper()
	sc := sarama.NewConfig()
	sc.Version = sarama.V2_8_0_0
	client, err := sarama.NewClient(brokers, sc)
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
