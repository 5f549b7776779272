// Package simulate produces a night of ZTF alerts into Kafka the way ZTF
// does: one topic per night (ztf_YYYYMMDD_programid1), one message per
// alert holding the alert's Avro container bytes, at a chosen rate, and
// optionally the "10am" full replay of the same messages afterwards.
//
// It is the source of the local demo, the end-to-end tests and the
// benchmarks. Alerts come from a Source: a folder of real packets (Dir) or
// any function that yields packets, such as the synthetic generator.
package simulate

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"
	"golang.org/x/time/rate"

	"github.com/ztfbridge/ztfbridge/internal/core/kafkaclient"
)

// A Source yields the packets of one night. It is called once per pass, so
// a replay sees the same packets again, in the same order.
type Source func() iter.Seq2[[]byte, error]

// Dir returns a Source yielding every *.avro file of dir, in name order,
// one message per file and the bytes unchanged.
func Dir(dir string) Source {
	return func() iter.Seq2[[]byte, error] {
		return func(yield func([]byte, error) bool) {
			names, err := filepath.Glob(filepath.Join(dir, "*.avro"))
			if err != nil {
				yield(nil, fmt.Errorf("list %s: %w", dir, err))
				return
			}
			if len(names) == 0 {
				yield(nil, fmt.Errorf("no .avro files in %s", dir))
				return
			}
			slices.Sort(names)
			for _, name := range names {
				b, err := os.ReadFile(name)
				if !yield(b, err) || err != nil {
					return
				}
			}
		}
	}
}

// Config says where and how fast to produce.
type Config struct {
	// Brokers are the Kafka bootstrap addresses.
	Brokers []string
	// Topic receives the alerts; it is created when missing.
	Topic string
	// Partitions is the partition count of a topic that Run creates.
	// ZTF's public topics have 16 partitions.
	Partitions int32
	// Rate limits production to this many alerts per second; 0 is as fast
	// as the broker takes them.
	Rate float64
	// Replay produces every alert a second time after the first pass, as
	// ZTF replays the whole night around 10am.
	Replay bool
	// Progress, if set, is called about once a second and at the end.
	Progress func(Progress)
}

// Progress reports how far Run has come.
type Progress struct {
	Pass     int // 1, or 2 for the replay
	Produced int64
	Bytes    int64
	Elapsed  time.Duration
}

// Run produces every packet of src into cfg.Topic (twice with cfg.Replay)
// and returns when all were acknowledged by the broker, or on the first
// error. Every message is produced with acks from all in-sync replicas.
func Run(ctx context.Context, cfg Config, src Source) (Progress, error) {
	if cfg.Topic == "" || len(cfg.Brokers) == 0 {
		return Progress{}, errors.New("simulate: brokers and topic are required")
	}
	kc := kafkaclient.DefaultConfig()
	kc.Brokers, kc.ClientID = cfg.Brokers, "ztfbridge-simulate"
	sc, err := kc.Sarama()
	if err != nil {
		return Progress{}, fmt.Errorf("simulate: %w", err)
	}
	sc.Producer.RequiredAcks = sarama.WaitForAll
	sc.Producer.Return.Successes = true
	// Kafka's default message.max.bytes (kfake's too): sarama bounds a
	// whole batch by this, so a larger value makes brokers refuse batches.
	sc.Producer.MaxMessageBytes = 1_000_000
	sc.Producer.Partitioner = sarama.NewRoundRobinPartitioner
	sc.Producer.Flush.Bytes = 1 << 20
	sc.Producer.Flush.Frequency = 5 * time.Millisecond
	client, err := sarama.NewClient(cfg.Brokers, sc)
	if err != nil {
		return Progress{}, fmt.Errorf("simulate: connect to %v: %w", cfg.Brokers, err)
	}
	defer client.Close()
	if err := ensureTopic(client, cfg.Topic, cfg.Partitions); err != nil {
		return Progress{}, err
	}
	producer, err := sarama.NewAsyncProducerFromClient(client)
	if err != nil {
		return Progress{}, fmt.Errorf("simulate: producer: %w", err)
	}

	var produced, bytes atomic.Int64
	ackErr := make(chan error, 1)
	acksDone := make(chan struct{})
	go func() {
		defer close(acksDone)
		succ, errs := producer.Successes(), producer.Errors()
		for succ != nil || errs != nil {
			select {
			case m, ok := <-succ:
				if !ok {
					succ = nil
					continue
				}
				produced.Add(1)
				bytes.Add(int64(m.Value.Length()))
			case e, ok := <-errs:
				if !ok {
					errs = nil
					continue
				}
				select {
				case ackErr <- fmt.Errorf("simulate: produce to %s: %w", cfg.Topic, e.Err):
				default:
				}
			}
		}
	}()

	start := time.Now()
	pass := 1
	report := func() Progress {
		return Progress{Pass: pass, Produced: produced.Load(), Bytes: bytes.Load(), Elapsed: time.Since(start)}
	}
	stopProgress := startProgress(cfg.Progress, report)

	var limiter *rate.Limiter
	if cfg.Rate > 0 {
		limiter = rate.NewLimiter(rate.Limit(cfg.Rate), max(1, int(cfg.Rate/10)))
	}
	passes := 1
	if cfg.Replay {
		passes = 2
	}
	var runErr error
produce:
	for pass = 1; pass <= passes; pass++ {
		for b, err := range src() {
			if err != nil {
				runErr = fmt.Errorf("simulate: source: %w", err)
				break produce
			}
			if limiter != nil {
				if err := limiter.Wait(ctx); err != nil {
					runErr = err
					break produce
				}
			}
			select {
			case producer.Input() <- &sarama.ProducerMessage{Topic: cfg.Topic, Value: sarama.ByteEncoder(b)}:
			case err := <-ackErr:
				runErr = err
				break produce
			case <-ctx.Done():
				runErr = ctx.Err()
				break produce
			}
		}
	}
	pass = min(pass, passes)
	// AsyncClose flushes what is buffered; the acks goroutine reads the
	// broker's answers until both channels close. (Close would drain the
	// successes itself and lose the count.)
	producer.AsyncClose()
	<-acksDone
	select {
	case err := <-ackErr:
		if runErr == nil {
			runErr = err
		}
	default:
	}
	stopProgress()
	return report(), runErr
}

// ensureTopic creates topic with partitions when the cluster lacks it.
func ensureTopic(client sarama.Client, topic string, partitions int32) error {
	if partitions <= 0 {
		partitions = 16
	}
	admin, err := sarama.NewClusterAdminFromClient(client)
	if err != nil {
		return fmt.Errorf("simulate: admin: %w", err)
	}
	// Closing the admin would close the shared client; Run closes it.
	err = admin.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: partitions, ReplicationFactor: 1}, false)
	var terr *sarama.TopicError
	if err != nil && !(errors.As(err, &terr) && terr.Err == sarama.ErrTopicAlreadyExists) {
		return fmt.Errorf("simulate: create topic %s: %w", topic, err)
	}
	return client.RefreshMetadata(topic)
}

// startProgress calls fn with report() every second until the returned
// stop function is called, and once more then.
func startProgress(fn func(Progress), report func() Progress) (stop func()) {
	if fn == nil {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				fn(report())
			case <-done:
				return
			}
		}
	}()
	return func() {
		close(done)
		<-finished
		fn(report())
	}
}
