package stack

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"
)

// saramaConfig is the configuration the connector uses against kfake.
func saramaConfig() *sarama.Config {
	cfg := sarama.NewConfig()
	cfg.Version = sarama.V2_8_0_0
	cfg.Producer.Return.Successes = true
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	cfg.Consumer.Offsets.Initial = sarama.OffsetOldest
	cfg.Consumer.Offsets.AutoCommit.Enable = false
	cfg.Consumer.Group.Rebalance.GroupStrategies = []sarama.BalanceStrategy{sarama.NewBalanceStrategyRoundRobin()}
	return cfg
}

// collector is a sarama consumer group handler that marks and commits
// every message and stops the session once it has want of them.
type collector struct {
	want   int
	mu     sync.Mutex
	got    map[string]bool
	cancel context.CancelFunc
}

func (c *collector) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (c *collector) Cleanup(sarama.ConsumerGroupSession) error { return nil }
func (c *collector) ConsumeClaim(s sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for m := range claim.Messages() {
		s.MarkMessage(m, "")
		s.Commit()
		c.mu.Lock()
		c.got[string(m.Value)] = true
		if len(c.got) >= c.want {
			c.cancel()
		}
		c.mu.Unlock()
	}
	return nil
}

// consumeAll runs one consumer-group member until it has seen want distinct
// values or the timeout passes, and returns what it saw.
func consumeAll(t *testing.T, addrs []string, group, topic string, want int) map[string]bool {
	t.Helper()
	cg, err := sarama.NewConsumerGroup(addrs, group, saramaConfig())
	if err != nil {
		t.Fatalf("consumer group: %v", err)
	}
	defer cg.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	h := &collector{want: want, got: map[string]bool{}, cancel: cancel}
	for ctx.Err() == nil {
		if err := cg.Consume(ctx, []string{topic}, h); err != nil && !errors.Is(err, sarama.ErrClosedConsumerGroup) {
			t.Fatalf("consume: %v", err)
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.got
}

func produce(t *testing.T, addrs []string, topic string, from, to int) {
	t.Helper()
	p, err := sarama.NewSyncProducer(addrs, saramaConfig())
	if err != nil {
		t.Fatalf("producer: %v", err)
	}
	defer p.Close()
	for i := from; i < to; i++ {
		if _, _, err := p.SendMessage(&sarama.ProducerMessage{Topic: topic, Value: sarama.StringEncoder(fmt.Sprint(i))}); err != nil {
			t.Fatalf("produce %d: %v", i, err)
		}
	}
}

// TestKafkaSaramaGroupRoundTrip proves what every other part relies on:
// sarama (V2_8_0_0) can produce to kfake, join a consumer group, commit, and
// a new member of the group resumes after the committed offsets.
func TestKafkaSaramaGroupRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name       string
		brokers    int
		partitions int
	}{
		{"one broker", 1, 4},
		{"three brokers", 3, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const topic = "ztf_20240715_programid1"
			k, err := StartKafka(context.Background(), KafkaOptions{Brokers: tc.brokers, Partitions: tc.partitions, Topics: []string{topic}})
			if err != nil {
				t.Fatal(err)
			}
			defer k.Close()
			if got := len(k.Addrs()); got != tc.brokers {
				t.Fatalf("Addrs() has %d brokers, want %d", got, tc.brokers)
			}

			produce(t, k.Addrs(), topic, 0, 100)
			if got := consumeAll(t, k.Addrs(), "g", topic, 100); len(got) != 100 {
				t.Fatalf("first member saw %d distinct messages, want 100", len(got))
			}
			// The second member must start from the commits, not from the oldest.
			produce(t, k.Addrs(), topic, 100, 110)
			got := consumeAll(t, k.Addrs(), "g", topic, 10)
			for v := range got {
				var i int
				fmt.Sscan(v, &i)
				if i < 100 {
					t.Errorf("second member re-read committed message %s", v)
				}
			}
			if len(got) != 10 {
				t.Errorf("second member saw %d messages, want the 10 new ones", len(got))
			}
		})
	}
}

func TestKafkaTopicCreation(t *testing.T) {
	const topic = "ztf_20240716_programid1"
	for _, tc := range []struct {
		name       string
		autoCreate bool
		wantErr    error
	}{
		{"auto-create off: a missing topic stays missing", false, sarama.ErrUnknownTopicOrPartition},
		{"auto-create on", true, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := StartKafka(context.Background(), KafkaOptions{AutoCreateTopics: tc.autoCreate, Partitions: 3})
			if err != nil {
				t.Fatal(err)
			}
			defer k.Close()
			cfg := saramaConfig()
			cfg.Metadata.Retry.Max = 0
			cl, err := sarama.NewClient(k.Addrs(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			_, err = cl.Partitions(topic)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Partitions(%s) error = %v, want %v", topic, err, tc.wantErr)
			}
			if tc.autoCreate {
				return
			}
			if err := k.CreateTopic(context.Background(), topic, 0); err != nil {
				t.Fatal(err)
			}
			if err := k.CreateTopic(context.Background(), topic, 0); err == nil {
				t.Error("creating an existing topic succeeded")
			}
			if err := cl.RefreshMetadata(topic); err != nil {
				t.Fatal(err)
			}
			parts, err := cl.Partitions(topic)
			if err != nil || len(parts) != 3 {
				t.Fatalf("after CreateTopic: %d partitions, err %v; want 3", len(parts), err)
			}
		})
	}
}
