package stack

import (
	"context"
	"fmt"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// KafkaOptions configures StartKafka. The zero value is one broker on a
// free loopback port, 10 partitions per created topic, no auto-creation.
type KafkaOptions struct {
	// Port is the first broker's port; broker i listens on Port+i. 0 picks
	// free ports.
	Port int
	// Brokers is the number of brokers (default 1).
	Brokers int
	// Partitions is the partition count of topics created by Topics, by
	// auto-creation and by CreateTopic with partitions <= 0 (default 10).
	Partitions int
	// AutoCreateTopics lets a metadata request create a missing topic, as
	// auto.create.topics.enable=true does. Off by default, like ZTF's
	// brokers: a consumer must cope with a night's topic not existing yet.
	AutoCreateTopics bool
	// Topics are created before StartKafka returns.
	Topics []string
}

func (o KafkaOptions) withDefaults() KafkaOptions {
	if o.Brokers <= 0 {
		o.Brokers = 1
	}
	if o.Partitions <= 0 {
		o.Partitions = 10
	}
	return o
}

// Kafka is an in-process Kafka cluster (franz-go's kfake) listening on
// loopback. Records live in memory until Close.
type Kafka struct {
	cluster *kfake.Cluster
	opts    KafkaOptions
}

// StartKafka starts a kfake cluster. The caller must Close it.
func StartKafka(ctx context.Context, opts KafkaOptions) (*Kafka, error) {
	opts = opts.withDefaults()
	kopts := []kfake.Opt{
		kfake.NumBrokers(opts.Brokers),
		kfake.DefaultNumPartitions(opts.Partitions),
		kfake.ClusterID("ztfbridge-local"),
	}
	if opts.Port != 0 {
		ports := make([]int, opts.Brokers)
		for i := range ports {
			ports[i] = opts.Port + i
		}
		kopts = append(kopts, kfake.Ports(ports...))
	}
	if opts.AutoCreateTopics {
		kopts = append(kopts, kfake.AllowAutoTopicCreation())
	}
	if len(opts.Topics) > 0 {
		kopts = append(kopts, kfake.SeedTopics(int32(opts.Partitions), opts.Topics...))
	}
	c, err := kfake.NewCluster(kopts...)
	if err != nil {
		return nil, fmt.Errorf("start kafka (kfake): %w", err)
	}
	return &Kafka{cluster: c, opts: opts}, nil
}

// Addrs returns the brokers' host:port addresses, for bootstrap.servers.
func (k *Kafka) Addrs() []string { return k.cluster.ListenAddrs() }

// Bootstrap returns Addrs joined by commas, as kcat -b and ztfbridge's
// --brokers take them.
func (k *Kafka) Bootstrap() string { return strings.Join(k.Addrs(), ",") }

// Cluster returns the kfake cluster, for tests that inject faults with
// its Control functions.
func (k *Kafka) Cluster() *kfake.Cluster { return k.cluster }

// Env returns ZTFBRIDGE_BROKERS=<Bootstrap>, the --brokers of ztfbridge's
// commands.
func (k *Kafka) Env() []string { return []string{"ZTFBRIDGE_BROKERS=" + k.Bootstrap()} }

// CreateTopic creates topic with the given number of partitions (the
// default when partitions <= 0). Creating a topic that exists is an error.
func (k *Kafka) CreateTopic(ctx context.Context, topic string, partitions int) error {
	if partitions <= 0 {
		partitions = k.opts.Partitions
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(k.Addrs()...))
	if err != nil {
		return fmt.Errorf("create topic %s: %w", topic, err)
	}
	defer cl.Close()
	req := kmsg.NewPtrCreateTopicsRequest()
	t := kmsg.NewCreateTopicsRequestTopic()
	t.Topic = topic
	t.NumPartitions = int32(partitions)
	t.ReplicationFactor = 1
	req.Topics = append(req.Topics, t)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return fmt.Errorf("create topic %s: %w", topic, err)
	}
	for _, rt := range resp.Topics {
		if err := kerr.ErrorForCode(rt.ErrorCode); err != nil {
			return fmt.Errorf("create topic %s: %w", topic, err)
		}
	}
	return nil
}

// Close stops the cluster and drops its records. Calling it again is harmless.
func (k *Kafka) Close() { k.cluster.Close() }
