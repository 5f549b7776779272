package reconcile

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"

	"github.com/ztfbridge/ztfbridge/internal/core/alert"
	"github.com/ztfbridge/ztfbridge/internal/core/kafkaclient"
	"github.com/ztfbridge/ztfbridge/internal/core/message"
	"github.com/ztfbridge/ztfbridge/internal/core/tick"
)

// channelBuffer is how many messages sarama holds per partition between a
// fetch and the reader: 16 partitions x 16 x 80 KB is 20 MB of packets in
// flight, whatever the night's size (sarama's default of 256 would be
// 330 MB).
const channelBuffer = 16

// readThrough is the longest gap between two wanted offsets of a partition
// that a repair reads through rather than seeking: a seek is a new fetch,
// and one fetch brings about this many 80 KB alerts anyway.
const readThrough = 16

// kafkaAlert is the first message of one candid in the night's topic:
// 24 bytes, the only per-alert memory of the Kafka pass.
type kafkaAlert struct {
	candid    int64
	offset    int64
	partition int32
}

// Position is where a message is in the night's topic.
type Position struct {
	Partition int32 `json:"partition"`
	Offset    int64 `json:"offset"`
}

func (p Position) String() string { return fmt.Sprintf("%d/%d", p.Partition, p.Offset) }

// DeadLetter is a message of the topic that is not an alert: the stages
// refuse it for Reason (message.Check, or above --max-message-bytes), so
// the connector sent it to the dead-letter topic. It is not missing.
type DeadLetter struct {
	Position
	Reason message.Reason `json:"reason"`
	Detail string         `json:"detail"`
}

// KafkaStage is what the night's topic holds, read from its oldest
// retained offset to the high watermark of the start of the pass.
type KafkaStage struct {
	// Retained is false when the brokers do not have the topic (any
	// more): then every other field is zero and GCS and BigQuery are only
	// compared with each other.
	Retained bool `json:"retained"`
	// Partial says that some partition no longer starts at offset 0:
	// retention removed its first messages, so stored alerts may be
	// absent from Kafka (unexpected) without being wrong.
	Partial     bool                        `json:"partial"`
	Ranges      map[int32]kafkaclient.Range `json:"-"`
	Messages    int64                       `json:"messages"` // offsets read
	Alerts      int                         `json:"alerts"`   // distinct candids
	Repeats     int64                       `json:"repeats"`  // alert messages repeating a candid (the 10am replay)
	DeadLetters []DeadLetter                `json:"dead_letters"`
	Elapsed     time.Duration               `json:"elapsed_ns"`

	alerts []kafkaAlert // sorted by candid, one per candid: its lowest (partition, offset)
}

// classify is the connector's decision on one message: too large, refused
// by message.Check, or an alert.
func classify(dec *alert.Decoder, maxBytes int, data []byte) (message.Alert, *message.Refusal) {
	if len(data) > maxBytes {
		return message.Alert{}, message.Refuse(message.TooLarge, "message of %d bytes is above --max-message-bytes %d", len(data), maxBytes)
	}
	return message.Check(dec, data)
}

// consumerConfig is sarama's configuration for reading a night: cfg's
// connection, errors returned, a small buffer per partition.
func consumerConfig(cfg job) (*sarama.Config, error) {
	sc, err := cfg.Stages.Sarama()
	if err != nil {
		return nil, err
	}
	sc.Consumer.Return.Errors = true
	sc.ChannelBufferSize = channelBuffer
	return sc, nil
}

// readKafka reads every retained message of topic once, as a throw-away
// reader (no group, nothing committed), and keeps the ids of its alerts.
func readKafka(ctx context.Context, cfg job, topic string) (*KafkaStage, error) {
	start := time.Now()
	sc, err := consumerConfig(cfg)
	if err != nil {
		return nil, err
	}
	client, err := sarama.NewClient(cfg.Stages.Brokers, sc)
	if err != nil {
		return nil, fmt.Errorf("connect to %v: %w", cfg.Stages.Brokers, err)
	}
	defer client.Close()
	ranges, err := kafkaclient.Offsets(client, topic)
	if errors.Is(err, sarama.ErrUnknownTopicOrPartition) {
		cfg.Logger.Warn("the brokers do not retain the night's topic: Kafka is left out", "topic", topic)
		return &KafkaStage{}, nil
	}
	if err != nil {
		return nil, err
	}
	consumer, err := sarama.NewConsumerFromClient(client)
	if err != nil {
		return nil, fmt.Errorf("kafka consumer: %w", err)
	}
	defer consumer.Close()

	k := &KafkaStage{Retained: true, Ranges: ranges}
	parts := make([]int32, 0, len(ranges))
	var total int64
	for p, r := range ranges {
		parts = append(parts, p)
		total += r.Len()
		k.Partial = k.Partial || r.Oldest > 0
	}
	slices.Sort(parts)
	// One slot per offset, each partition its own span: no slice grows,
	// and no lock is taken per message.
	all := make([]kafkaAlert, total)
	var (
		read  atomic.Int64
		mu    sync.Mutex
		errs  []error
		wg    sync.WaitGroup
		spans = make([][]kafkaAlert, len(parts))
		dec   = alert.NewDecoder()
	)
	stopProgress := progress(ctx, cfg, func() {
		n := read.Load()
		cfg.Logger.Info("reading kafka", "topic", topic, "read", n, "of", total,
			"percent", fmt.Sprintf("%.1f", 100*float64(n)/float64(max(total, 1))), "elapsed", time.Since(start).Round(time.Second).String())
	})
	var next int64
	for i, p := range parts {
		r := ranges[p]
		span := all[next : next : next+r.Len()]
		next += r.Len()
		wg.Go(func() {
			var dead []DeadLetter
			err := consumeRange(ctx, consumer, topic, p, r, func(m *sarama.ConsumerMessage) error {
				read.Add(1)
				a, refused := classify(dec, cfg.MaxMessageBytes, m.Value)
				if refused != nil {
					dead = append(dead, DeadLetter{Position: Position{p, m.Offset}, Reason: refused.Reason, Detail: message.Truncate(refused.Detail, message.MaxValueBytes)})
					return nil
				}
				span = append(span, kafkaAlert{candid: a.Candid, offset: m.Offset, partition: p})
				return nil
			})
			mu.Lock()
			defer mu.Unlock()
			spans[i] = span
			k.DeadLetters = append(k.DeadLetters, dead...)
			if err != nil {
				errs = append(errs, err)
			}
		})
	}
	wg.Wait()
	stopProgress()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	k.Messages = read.Load()

	// Close the spans up, then one entry per candid: its lowest position.
	n := 0
	for _, s := range spans {
		n += copy(all[n:], s)
	}
	all = all[:n]
	slices.SortFunc(all, func(a, b kafkaAlert) int {
		return cmp.Or(cmp.Compare(a.candid, b.candid), cmp.Compare(a.partition, b.partition), cmp.Compare(a.offset, b.offset))
	})
	k.alerts = slices.CompactFunc(all, func(a, b kafkaAlert) bool { return a.candid == b.candid })
	k.Alerts = len(k.alerts)
	k.Repeats = int64(n - len(k.alerts))
	slices.SortFunc(k.DeadLetters, func(a, b DeadLetter) int {
		return cmp.Or(cmp.Compare(a.Partition, b.Partition), cmp.Compare(a.Offset, b.Offset))
	})
	k.Elapsed = time.Since(start)
	cfg.Logger.Info("read kafka", "topic", topic, "messages", k.Messages, "alerts", k.Alerts, "repeats", k.Repeats,
		"dead_letters", len(k.DeadLetters), "elapsed", k.Elapsed.Round(time.Millisecond).String())
	return k, nil
}

// consumeRange calls fn with every message of partition p from r.Oldest
// up to r.Newest (excluded).
func consumeRange(ctx context.Context, consumer sarama.Consumer, topic string, p int32, r kafkaclient.Range, fn func(*sarama.ConsumerMessage) error) error {
	if r.Len() <= 0 {
		return nil
	}
	pc, err := consumer.ConsumePartition(topic, p, r.Oldest)
	if err != nil {
		return fmt.Errorf("consume %s/%d from %d: %w", topic, p, r.Oldest, err)
	}
	defer pc.Close()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-pc.Errors():
			return fmt.Errorf("read %s/%d: %w", topic, p, err)
		case m := <-pc.Messages():
			if m.Offset >= r.Newest {
				return nil
			}
			if err := fn(m); err != nil {
				return err
			}
			if m.Offset+1 >= r.Newest {
				return nil
			}
		}
	}
}

// consumeOffsets calls fn with the message at each of offsets (sorted,
// distinct) of partition p, seeking over gaps longer than readThrough.
func consumeOffsets(ctx context.Context, consumer sarama.Consumer, topic string, p int32, offsets []int64, fn func(*sarama.ConsumerMessage) error) error {
	for i := 0; i < len(offsets); {
		err := func() error {
			pc, err := consumer.ConsumePartition(topic, p, offsets[i])
			if err != nil {
				return fmt.Errorf("consume %s/%d from %d: %w", topic, p, offsets[i], err)
			}
			defer pc.Close()
			for i < len(offsets) {
				var m *sarama.ConsumerMessage
				select {
				case <-ctx.Done():
					return ctx.Err()
				case err := <-pc.Errors():
					return fmt.Errorf("read %s/%d: %w", topic, p, err)
				case m = <-pc.Messages():
				}
				switch {
				case m.Offset < offsets[i]:
					continue
				case m.Offset > offsets[i]:
					return fmt.Errorf("%s/%d has no message at offset %d any more (next is %d)", topic, p, offsets[i], m.Offset)
				}
				if err := fn(m); err != nil {
					return err
				}
				i++
				if i < len(offsets) && offsets[i]-m.Offset > readThrough {
					return nil // seek
				}
			}
			return nil
		}()
		if err != nil {
			return err
		}
	}
	return nil
}

// progress calls report every cfg.Progress until the returned function is
// called; never when cfg.Progress is 0.
func progress(ctx context.Context, cfg job, report func()) (stop func()) {
	if cfg.Progress <= 0 {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick.Every(ctx, cfg.Progress, report)
	}()
	return func() { cancel(); <-done }
}
