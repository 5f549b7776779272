// Package connectbench measures the connector against the raw clients it
// is made of, on the local stack, in one run: "ztfbridge bench connect".
//
// Run starts an in-process Kafka (kfake) and gcloud's Pub/Sub emulator,
// produces Alerts synthetic ZTF alerts (60-90 KB each, package synth) into
// one topic, and then times three passes over the same data:
//
//  1. consumer: a bare sarama consumer group (the connector's Kafka
//     settings and number of members) that reads every message and
//     discards it;
//  2. publisher: a bare Pub/Sub publisher (the connector's publish
//     settings) publishing the same bytes, waiting for every result;
//  3. connector: the connector, end to end, until Pub/Sub acknowledged
//     every alert.
//
// The connector cannot be faster than the slower of its two halves; Ratio
// is its rate over that bound. The three passes run Rounds times in turn
// and each keeps its fastest round, so that a burst of load from other
// processes on the machine skews no single pass. Each pass publishes to a freshly created
// Pub/Sub topic, because the emulator keeps what it was sent.
package connectbench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"github.com/IBM/sarama"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ztfbridge/ztfbridge/connector"
	"github.com/ztfbridge/ztfbridge/internal/night"
	"github.com/ztfbridge/ztfbridge/internal/simulate"
	"github.com/ztfbridge/ztfbridge/internal/stack"
	"github.com/ztfbridge/ztfbridge/internal/synth"
)

// Config is what to measure. The zero value of each field but Connector
// has a default; Connector should start from connector.DefaultConfig(),
// and its Kafka, Pub/Sub, topic and group fields are replaced by Run.
type Config struct {
	Alerts     int       // alerts produced and moved (default 20,000)
	Partitions int32     // partitions of the Kafka topic (default 16, as ZTF)
	Night      time.Time // night of the synthetic alerts (default 2024-06-01)
	Seed       uint64    // of the synthetic alerts (default 1)
	PubSubHeap string    // the emulator's -Xmx (default "6g")
	Rounds     int       // each pass runs this often; the fastest counts (default 3)
	Connector  connector.Config
	Log        *slog.Logger // progress; nil discards
}

// Rate is one timed pass.
type Rate struct {
	Name    string
	Alerts  int
	Bytes   int64
	Elapsed time.Duration
	// CPU is the CPU time the pass took on this machine: this process
	// (the clients and the in-process Kafka) and the Pub/Sub emulator.
	CPU time.Duration
}

// AlertsPerSecond is the pass's throughput in alerts.
func (r Rate) AlertsPerSecond() float64 { return float64(r.Alerts) / r.Elapsed.Seconds() }

// MBPerSecond is the pass's throughput in 10^6 bytes of message data.
func (r Rate) MBPerSecond() float64 { return float64(r.Bytes) / 1e6 / r.Elapsed.Seconds() }

// Report holds the three passes of one run.
type Report struct {
	Consumer, Publisher, Connector Rate
}

// Ratio is the connector's rate over the slower raw client's.
func (r Report) Ratio() float64 {
	return r.Connector.AlertsPerSecond() / min(r.Consumer.AlertsPerSecond(), r.Publisher.AlertsPerSecond())
}

// SharedCPUCeiling is the connector's best possible rate when the two raw
// passes each keep every CPU busy (as they do here: the clients, Kafka and
// the emulator all run on this machine): the connector must do the work
// of both on the same CPUs, so at best it takes the sum of their times.
func (r Report) SharedCPUCeiling() float64 {
	return 1 / (1/r.Consumer.AlertsPerSecond() + 1/r.Publisher.AlertsPerSecond())
}

// CPURatio is the connector's CPU time over the raw clients' together:
// near 1 when the connector costs little beyond its two halves. When the
// clients, Kafka and the emulator share few cores, Ratio cannot exceed
// about min/(consumer+publisher) time, whatever the connector does.
func (r Report) CPURatio() float64 {
	return r.Connector.CPU.Seconds() / (r.Consumer.CPU.Seconds() + r.Publisher.CPU.Seconds())
}

// Print writes the report as a table.
func (r Report) Print(w io.Writer) {
	fmt.Fprintf(w, "%-42s %8s %9s %9s %8s %8s\n", "pass", "alerts", "seconds", "alerts/s", "MB/s", "CPU s")
	for _, p := range []Rate{r.Consumer, r.Publisher, r.Connector} {
		fmt.Fprintf(w, "%-42s %8d %9.2f %9.0f %8.1f %8.2f\n", p.Name, p.Alerts, p.Elapsed.Seconds(), p.AlertsPerSecond(), p.MBPerSecond(), p.CPU.Seconds())
	}
	fmt.Fprintf(w, "connector / min(consumer, publisher) = %.2f\n", r.Ratio())
	if r.Connector.CPU > 0 {
		fmt.Fprintf(w, "connector CPU / (consumer CPU + publisher CPU) = %.2f (%d CPUs)\n", r.CPURatio(), runtime.NumCPU())
		fmt.Fprintf(w, "CPU use of the raw passes: consumer %.1f, publisher %.1f of %d CPUs\n",
			r.Consumer.CPU.Seconds()/r.Consumer.Elapsed.Seconds(), r.Publisher.CPU.Seconds()/r.Publisher.Elapsed.Seconds(), runtime.NumCPU())
		fmt.Fprintf(w, "shared-CPU ceiling 1/(1/consumer + 1/publisher) = %.0f alerts/s; connector / ceiling = %.2f\n",
			r.SharedCPUCeiling(), r.Connector.AlertsPerSecond()/r.SharedCPUCeiling())
	}
}

func (c *Config) defaults() {
	if c.Alerts <= 0 {
		c.Alerts = 20_000
	}
	if c.Partitions <= 0 {
		c.Partitions = 16
	}
	if c.Night.IsZero() {
		c.Night = time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	if c.Rounds <= 0 {
		c.Rounds = 3
	}
	if c.PubSubHeap == "" {
		c.PubSubHeap = "6g"
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
}

// Run starts the local servers, produces the alerts and times the three
// passes. A pass is timed from its first message to its last, so that
// joining the consumer group (a few seconds, once a night in production)
// does not count as throughput. It stops every server it started before returning.
func Run(ctx context.Context, cfg Config) (Report, error) {
	cfg.defaults()
	k, err := stack.StartKafka(ctx, stack.KafkaOptions{Partitions: int(cfg.Partitions)})
	if err != nil {
		return Report{}, err
	}
	defer k.Close()
	ps, err := stack.StartPubSub(ctx, cfg.Log, stack.PubSubOptions{Heap: cfg.PubSubHeap})
	if err != nil {
		return Report{}, err
	}
	defer ps.Close()

	topic := night.Topic(cfg.Night)
	packets, err := produce(ctx, cfg, k.Addrs(), topic)
	if err != nil {
		return Report{}, err
	}
	var total int64
	for _, p := range packets {
		total += int64(len(p))
	}

	cc := cfg.Connector
	cc.Brokers = k.Addrs()
	cc.Topic, cc.Topics, cc.TopicRegex = topic, nil, ""
	cc.PubSubProject = ps.Project
	cc.PubSubOptions = ps.ClientOptions()
	cc.MetricsAddr, cc.CountsBucket = "", ""
	cc.Logger = cfg.Log

	var r Report
	for round := 1; round <= cfg.Rounds; round++ {
		timed := func(pass func() (Rate, error)) (Rate, error) {
			runtime.GC() // not charged to the next pass
			before := cpuTime(ps.PID())
			rate, err := pass()
			rate.CPU = cpuTime(ps.PID()) - before
			return rate, err
		}
		cfg.Log.Info("pass 1: bare sarama consumer group", "round", round)
		consumer, err := timed(func() (Rate, error) { return consume(ctx, cc, topic, len(packets), total) })
		if err != nil {
			return r, err
		}
		cfg.Log.Info("pass 2: bare Pub/Sub publisher", "round", round)
		publisher, err := timed(func() (Rate, error) { return publish(ctx, cc, ps, packets, total) })
		if err != nil {
			return r, err
		}
		cfg.Log.Info("pass 3: connector", "round", round)
		conn, err := timed(func() (Rate, error) { return bridge(ctx, cc, ps, len(packets), total) })
		if err != nil {
			return r, err
		}
		r.Consumer, r.Publisher, r.Connector = faster(r.Consumer, consumer), faster(r.Publisher, publisher), faster(r.Connector, conn)
	}
	return r, nil
}

// faster returns the faster of two passes (a zero Rate is slowest).
func faster(a, b Rate) Rate {
	if a.Elapsed == 0 || (b.Elapsed != 0 && b.Elapsed < a.Elapsed) {
		return b
	}
	return a
}

// produce generates the alerts while writing them into topic, and returns
// their bytes.
func produce(ctx context.Context, cfg Config, brokers []string, topic string) ([][]byte, error) {
	g, err := synth.New(synth.Config{Night: cfg.Night, Seed: cfg.Seed})
	if err != nil {
		return nil, err
	}
	packets := make([][]byte, 0, cfg.Alerts)
	src := func() iter.Seq2[[]byte, error] {
		return func(yield func([]byte, error) bool) {
			for range cfg.Alerts {
				p, err := g.Next()
				if err == nil {
					packets = append(packets, p.Data)
				}
				if !yield(p.Data, err) || err != nil {
					return
				}
			}
		}
	}
	start := time.Now()
	prog, err := simulate.Run(ctx, simulate.Config{Brokers: brokers, Topic: topic, Partitions: cfg.Partitions}, src)
	if err != nil {
		return nil, err
	}
	cfg.Log.Info("produced", "topic", topic, "alerts", prog.Produced, "bytes", prog.Bytes, "took", time.Since(start).Round(time.Millisecond).String())
	return packets, nil
}

// consume reads want messages of topic with cc.Consumers bare group members.
func consume(ctx context.Context, cc connector.Config, topic string, want int, total int64) (Rate, error) {
	sc, err := cc.SaramaConfig()
	if err != nil {
		return Rate{}, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	h := &discard{want: int64(want), done: cancel}
	group := fmt.Sprintf("bench-consumer-%d", time.Now().UnixNano())
	var wg sync.WaitGroup
	errs := make(chan error, cc.Consumers)
	for range cc.Consumers {
		wg.Go(func() {
			cg, err := sarama.NewConsumerGroup(cc.Brokers, group, sc)
			if err != nil {
				errs <- err
				cancel()
				return
			}
			defer cg.Close()
			for ctx.Err() == nil {
				if err := cg.Consume(ctx, []string{topic}, h); err != nil && ctx.Err() == nil {
					errs <- err
					cancel()
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Duration(h.last.Load() - h.first.Load())
	close(errs)
	if err := errors.Join(collect(errs)...); err != nil {
		return Rate{}, fmt.Errorf("bare consumer: %w", err)
	}
	if n := h.n.Load(); n < int64(want) {
		return Rate{}, fmt.Errorf("bare consumer: read %d of %d messages: %w", n, want, context.Cause(ctx))
	}
	return Rate{Name: fmt.Sprintf("bare sarama consumer group (%d members)", cc.Consumers), Alerts: want, Bytes: total, Elapsed: elapsed}, nil
}

// discard is a consumer-group handler that counts messages and drops them.
type discard struct {
	want  int64
	n     atomic.Int64
	first atomic.Int64 // Unix nanoseconds of the first message
	last  atomic.Int64 // Unix nanoseconds of the last message
	done  context.CancelFunc
}

func (*discard) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (*discard) Cleanup(sarama.ConsumerGroupSession) error { return nil }
func (d *discard) ConsumeClaim(sess sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for m := range claim.Messages() {
		sess.MarkMessage(m, "")
		switch d.n.Add(1) {
		case 1:
			d.first.Store(time.Now().UnixNano())
		case d.want:
			d.last.Store(time.Now().UnixNano())
			d.done()
		}
	}
	return nil
}

func collect(errs <-chan error) []error {
	var out []error
	for err := range errs {
		out = append(out, err)
	}
	return out
}

// publish publishes packets to a fresh topic with the connector's publish
// settings and waits for every result.
func publish(ctx context.Context, cc connector.Config, ps *stack.PubSub, packets [][]byte, total int64) (Rate, error) {
	topic := "bench-raw-publisher"
	if _, err := ps.ResetTopic(ctx, topic); err != nil {
		return Rate{}, err
	}
	client, err := ps.Client(ctx)
	if err != nil {
		return Rate{}, err
	}
	defer client.Close()
	p := client.Publisher(topic)
	p.PublishSettings = cc.PublishSettings()
	defer p.Stop()

	start := time.Now()
	results := make(chan *pubsub.PublishResult, cc.MaxOutstandingMessages)
	var failed error
	var wg sync.WaitGroup
	wg.Go(func() {
		for r := range results {
			if _, err := r.Get(ctx); err != nil && failed == nil {
				failed = err
			}
		}
	})
	for _, b := range packets {
		results <- p.Publish(ctx, &pubsub.Message{Data: b})
	}
	close(results)
	wg.Wait()
	elapsed := time.Since(start)
	if failed != nil {
		return Rate{}, fmt.Errorf("bare publisher: %w", failed)
	}
	return Rate{Name: "bare Pub/Sub publisher", Alerts: len(packets), Bytes: total, Elapsed: elapsed}, nil
}

// bridge runs the connector until Pub/Sub acknowledged want alerts.
func bridge(ctx context.Context, cc connector.Config, ps *stack.PubSub, want int, total int64) (Rate, error) {
	cc.PubSubTopic, cc.DeadLetterTopic = "bench-connector", "bench-connector-deadletter"
	for _, t := range []string{cc.PubSubTopic, cc.DeadLetterTopic} {
		if _, err := ps.ResetTopic(ctx, t); err != nil {
			return Rate{}, err
		}
	}
	cc.Group = fmt.Sprintf("bench-connector-%d", time.Now().UnixNano())
	cc.Registry = prometheus.NewRegistry()
	c, err := connector.New(ctx, cc)
	if err != nil {
		return Rate{}, err
	}
	defer c.Close()
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- c.Run(runCtx) }()

	var start time.Time
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			return Rate{}, fmt.Errorf("connector stopped early: %v", err)
		case <-tick.C:
		}
		if start.IsZero() {
			consumed, err := counter(cc.Registry, "ztfbridge_connector_consumed_total")
			if err != nil {
				return Rate{}, err
			}
			if consumed > 0 {
				start = time.Now()
			}
			continue
		}
		published, err := counter(cc.Registry, "ztfbridge_connector_published_total")
		if err != nil {
			return Rate{}, err
		}
		if published >= float64(want) {
			break
		}
	}
	elapsed := time.Since(start)
	stop()
	if err := <-done; err != nil {
		return Rate{}, err
	}
	return Rate{Name: fmt.Sprintf("connector (%d members, batch %d)", cc.Consumers, cc.BatchSize), Alerts: want, Bytes: total, Elapsed: elapsed}, nil
}

// counter reads the value of a counter without labels from reg.
func counter(reg *prometheus.Registry, name string) (float64, error) {
	mfs, err := reg.Gather()
	if err != nil {
		return 0, err
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) == 1 {
			return mf.GetMetric()[0].GetCounter().GetValue(), nil
		}
	}
	return 0, fmt.Errorf("no metric %s", name)
}
