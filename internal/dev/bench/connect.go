package bench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"github.com/IBM/sarama"

	"github.com/ztfbridge/ztfbridge/connector"
	"github.com/ztfbridge/ztfbridge/internal/core/config"
	"github.com/ztfbridge/ztfbridge/internal/core/night"
	"github.com/ztfbridge/ztfbridge/internal/dev/simulate"
	"github.com/ztfbridge/ztfbridge/internal/dev/stack"
	"github.com/ztfbridge/ztfbridge/internal/dev/synth"
)

// Options say how much each bench measures. The zero value of a field
// takes the default of the bench that reads it.
type Options struct {
	Alerts     int         // alerts per pass (connect 10,000; function 2,000; load 1,000)
	Rounds     int         // rounds of every pass (default 3)
	Night      night.Night // night of the synthetic alerts (default 2024-06-01)
	Seed       uint64      // of the synthetic alerts (default 1)
	Partitions int         // connect: partitions of the Kafka topic (default 16, as ZTF)
	Workers    int         // function: concurrent writers or push requests (default 16)
	PubSubHeap string      // the Pub/Sub emulator's java -Xmx (default "4g")
	Bins       Binaries
	Log        *slog.Logger // progress; nil discards
}

func (o Options) withDefaults(alerts int) Options {
	if o.Alerts <= 0 {
		o.Alerts = alerts
	}
	if o.Rounds <= 0 {
		o.Rounds = 3
	}
	if o.Night.IsZero() {
		o.Night = night.Of(time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC))
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Partitions <= 0 {
		o.Partitions = 16
	}
	if o.Workers <= 0 {
		o.Workers = 16
	}
	if o.PubSubHeap == "" {
		o.PubSubHeap = "4g"
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return o
}

// Pass names of the connect bench.
const (
	PassRawConnect   = "raw: sarama group → Pub/Sub publisher"
	PassConnector    = "connector"
	PassConnectDedup = "connector --dedup-replay, night + full replay"
)

// Connect measures the connector ("ztfbridge connect") against the raw
// clients it is built on: a bare sarama consumer group (the connector's
// Kafka settings and members) handing each message's bytes to a bare
// Pub/Sub publisher (its publish settings), in a process of its own. Both
// read the same topic of a kfake cluster in this process, with a new
// group each, and publish to a fresh topic of the Pub/Sub emulator; each
// is measured from the moment Pub/Sub acknowledged a fifth of the alerts
// (see warmup) until it acknowledged every alert. A last pass per round
// measures the connector with --dedup-replay on the night followed by its
// full replay, from the same warm-up point.
//
// Settings of the connector (ZTFBRIDGE_BATCH_SIZE, ...) set in the
// environment apply to the connector and the raw clients alike.
func Connect(ctx context.Context, opts Options) (*Report, error) {
	opts = opts.withDefaults(10_000)
	dir, err := os.MkdirTemp("", "ztfbridge-bench-connect-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	k, err := stack.StartKafka(ctx, stack.KafkaOptions{Partitions: opts.Partitions})
	if err != nil {
		return nil, err
	}
	defer k.Close()
	ps, err := stack.StartPubSub(ctx, opts.Log, stack.PubSubOptions{Heap: opts.PubSubHeap})
	if err != nil {
		return nil, err
	}
	defer ps.Close()
	if ps.InProcess {
		return nil, errors.New("bench connect: needs gcloud's Pub/Sub emulator as its own process, not the in-process pstest")
	}

	topic := opts.Night.Topic()
	bytes, err := produce(ctx, opts, k.Addrs(), topic)
	if err != nil {
		return nil, err
	}
	cc := connector.DefaultConfig()
	rep := &Report{
		Bench: "connect",
		Setup: fmt.Sprintf("%d synthetic alerts (%.0f KB mean) in %d partitions of kfake → gcloud Pub/Sub emulator; %d members, batch %d; %d rounds",
			opts.Alerts, float64(bytes)/float64(opts.Alerts)/1e3, opts.Partitions, cc.Consumers, cc.BatchSize, opts.Rounds),
		Ratios: []Ratio{{Component: PassConnector, Raw: []string{PassRawConnect}, Target: 1.15}},
	}
	env := ps.Env()
	common := func(pubsubTopic, group string) []string {
		return []string{"--brokers", k.Bootstrap(), "--topic", topic, "--group", group,
			"--pubsub-project", ps.Project, "--pubsub-topic", pubsubTopic}
	}
	connect := func(round int, name string, dedup bool, alerts int, bytes int64) error {
		opts.Log.Info("bench connect", "pass", name, "round", round)
		for _, t := range []string{"bench-connector", "bench-connector-deadletter"} {
			if _, err := ps.ResetTopic(ctx, t); err != nil {
				return err
			}
		}
		metrics, err := stack.FreeAddr()
		if err != nil {
			return err
		}
		args := append([]string{"connect"}, common("bench-connector", fmt.Sprintf("bench-connector-%d-%d", round, time.Now().UnixNano()))...)
		args = append(args, "--deadletter-topic", "bench-connector-deadletter", "--metrics-addr", metrics, "--counts-bucket", "",
			"--dedup-replay="+strconv.FormatBool(dedup))
		const published = "ztfbridge_connector_published_total"
		want := map[string]int{published: opts.Alerts}
		warm := warmup{counter: published, after: opts.Alerts / warmFraction}
		if dedup { // the replay comes after the night: none is dropped by the warm-up's end
			want["ztfbridge_connector_replay_dropped_total"] = alerts - opts.Alerts
		}
		s, err := runComponent(ctx, dir, opts.Bins.Ztfbridge, name, args, env, "http://"+metrics+"/metrics", nil, want, warm, alerts, bytes)
		if err != nil {
			return err
		}
		opts.Log.Info("measured", "pass", name, "round", round, "alerts", s.Alerts, "cpu", s.CPU.String(), "elapsed", s.Elapsed.String())
		rep.Add(name, s)
		return nil
	}
	for round := 1; round <= opts.Rounds; round++ {
		opts.Log.Info("bench connect", "pass", PassRawConnect, "round", round)
		if _, err := ps.ResetTopic(ctx, "bench-raw"); err != nil {
			return rep, err
		}
		args := append([]string{"connect", "--alerts", strconv.Itoa(opts.Alerts), "--warm", strconv.Itoa(opts.Alerts / warmFraction)}, common("bench-raw", fmt.Sprintf("bench-raw-%d-%d", round, time.Now().UnixNano()))...)
		s, err := runRaw(ctx, dir, opts.Bins, "raw-connect", args, env, opts.Alerts, bytes)
		if err != nil {
			return rep, err
		}
		opts.Log.Info("measured", "pass", PassRawConnect, "round", round, "alerts", s.Alerts, "cpu", s.CPU.String(), "elapsed", s.Elapsed.String())
		rep.Add(PassRawConnect, s)
		if err := connect(round, PassConnector, false, opts.Alerts, bytes); err != nil {
			return rep, err
		}
	}
	// The replay: the same alerts again, each in the partition it had.
	if _, err := produce(ctx, opts, k.Addrs(), topic); err != nil {
		return rep, err
	}
	for round := 1; round <= opts.Rounds; round++ {
		if err := connect(round, PassConnectDedup, true, 2*opts.Alerts, 2*bytes); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// runComponent runs one pass of a component: it starts bin with args,
// waits until its metrics answer, calls work (may be nil), and measures
// until each counter of want reaches its value, then stops it. With
// warm.after > 0 the measure starts only once the counter warm.counter has
// reached it, and the alerts counted before are left out of the sample
// (unless that poll found the pass over: then it is measured whole).
func runComponent(ctx context.Context, dir, bin, name string, args, env []string, metrics string,
	work func() error, want map[string]int, warm warmup, alerts int, bytes int64) (Sample, error) {
	p, err := startProc(dir, slug(name), bin, args, env)
	if err != nil {
		return Sample{}, err
	}
	defer p.stop()
	stopOnCancel := context.AfterFunc(ctx, p.Kill)
	defer stopOnCancel()
	if err := p.waitUntil(ctx, func() (bool, error) {
		_, err := counter(ctx, metrics, "") // any answer will do
		return err == nil, nil
	}); err != nil {
		return Sample{}, err
	}
	s, err := p.begin()
	if err != nil {
		return Sample{}, err
	}
	if work != nil {
		if err := work(); err != nil {
			return Sample{}, p.Failure(err)
		}
	}
	if warm.after > 0 {
		var done float64
		if err := p.waitUntil(ctx, func() (v bool, err error) {
			done, err = counter(ctx, metrics, warm.counter)
			return done >= float64(warm.after), err
		}); err != nil {
			return Sample{}, err
		}
		// A pass so short that it was over by then is measured whole.
		if int(done) < alerts {
			if s, err = p.begin(); err != nil {
				return Sample{}, err
			}
			alerts, bytes = remaining(alerts, bytes, int(done))
		}
	}
	for name, n := range want {
		if err := p.waitUntil(ctx, func() (bool, error) {
			v, err := counter(ctx, metrics, name)
			return v >= float64(n), err
		}); err != nil {
			return Sample{}, err
		}
	}
	sample, err := s.end(alerts, bytes)
	if err != nil {
		return Sample{}, err
	}
	return sample, p.stop()
}

// warmup is where a measure starts: once counter has counted after alerts
// (0: from the start). The connector and its raw client are measured
// alike from the same count on, so that neither's start (the group
// joining and its first rebalance, connections, the heap growing from
// nothing into fresh pages) weighs on the per-alert figure of a process
// that runs all night.
type warmup struct {
	counter string
	after   int
}

// warmFraction is the part of a pass's alerts the connect bench lets by
// before it measures.
const warmFraction = 5 // a fifth

// produce writes opts.Alerts synthetic alerts of opts.Seed into topic,
// round robin over its partitions, and returns their bytes. Producing
// them again puts each in the same partition.
func produce(ctx context.Context, opts Options, brokers []string, topic string) (int64, error) {
	g, err := synth.New(synth.Config{Night: opts.Night, Seed: opts.Seed})
	if err != nil {
		return 0, err
	}
	src := func() iter.Seq2[[]byte, error] {
		return func(yield func([]byte, error) bool) {
			for range opts.Alerts {
				p, err := g.Next()
				if !yield(p.Data, err) || err != nil {
					return
				}
			}
		}
	}
	prog, err := simulate.Run(ctx, simulate.Config{Brokers: brokers, Topic: topic, Partitions: int32(opts.Partitions)}, src)
	if err != nil {
		return 0, fmt.Errorf("bench: produce: %w", err)
	}
	opts.Log.Info("produced", "topic", topic, "alerts", prog.Produced, "bytes", prog.Bytes)
	return prog.Bytes, nil
}

// RunRawConnect is the raw client of the connect bench, in its own
// process ("ztfbridge-dev raw connect"): cfg.Consumers bare sarama group
// members with the connector's Kafka settings hand each message's bytes
// to a bare Pub/Sub publisher with the connector's publish settings, and
// mark it; done once Pub/Sub acknowledged --alerts messages.
func RunRawConnect(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	cc := connector.DefaultConfig()
	fs := flag.NewFlagSet("raw connect", flag.ContinueOnError)
	cc.AddFlags(fs)
	want := fs.Int("alerts", 0, "messages to publish")
	warm := fs.Int("warm", 0, "say \"warm N\" on stdout once N messages are acknowledged (the bench measures from there)")
	if err := config.Parse(fs, args); err != nil {
		return err
	}
	if *warm < 0 || *warm >= *want {
		return fmt.Errorf("raw connect: --warm %d is not below --alerts %d", *warm, *want)
	}
	sc, err := cc.SaramaConfig()
	if err != nil {
		return err
	}
	client, err := pubsub.NewClient(ctx, cc.PubSubProject)
	if err != nil {
		return err
	}
	defer client.Close()
	pub := client.Publisher(cc.PubSubTopic)
	// The connector's publish settings, from its Config as it sets them.
	pub.PublishSettings.CountThreshold = cc.PublishBatchCount
	pub.PublishSettings.ByteThreshold = cc.PublishBatchBytes
	pub.PublishSettings.DelayThreshold = cc.PublishDelay
	pub.PublishSettings.NumGoroutines = cc.PublishGoroutines
	pub.PublishSettings.Timeout = cc.PublishTimeout
	pub.PublishSettings.FlowControlSettings = pubsub.FlowControlSettings{
		MaxOutstandingMessages: cc.MaxOutstandingMessages, MaxOutstandingBytes: cc.MaxOutstandingBytes,
		LimitExceededBehavior: pubsub.FlowControlBlock,
	}
	groups := make([]sarama.ConsumerGroup, cc.Consumers)
	for i := range groups {
		if groups[i], err = sarama.NewConsumerGroup(cc.Brokers, cc.Group, sc); err != nil {
			return err
		}
		defer groups[i].Close()
	}
	done, err := handshake(stdin, stdout)
	if err != nil {
		return err
	}

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	results := make(chan *pubsub.PublishResult, cc.MaxOutstandingMessages)
	var acked atomic.Int64
	go func() {
		for r := range results {
			if _, err := r.Get(ctx); err != nil {
				cancel(err)
				return
			}
			switch acked.Add(1) {
			case int64(*warm):
				if _, err := fmt.Fprintf(stdout, "warm %d\n", *warm); err != nil {
					cancel(err)
					return
				}
			case int64(*want):
				cancel(nil)
			}
		}
	}()
	h := pipe{ctx: ctx, pub: pub, results: results}
	var wg sync.WaitGroup
	for _, g := range groups {
		wg.Go(func() {
			for ctx.Err() == nil {
				if err := g.Consume(ctx, []string{cc.KafkaTopic}, h); err != nil && ctx.Err() == nil {
					cancel(err)
				}
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); !errors.Is(err, context.Canceled) {
		return err
	}
	if n := acked.Load(); n < int64(*want) {
		return fmt.Errorf("raw connect: %d of %d published", n, *want)
	}
	pub.Stop()
	return done()
}

// pipe is a consumer-group handler that publishes each message's bytes.
// It publishes with the run's ctx, not the session's, which a rebalance
// ends (a member joining) while publishes are in flight.
type pipe struct {
	ctx     context.Context
	pub     *pubsub.Publisher
	results chan<- *pubsub.PublishResult
}

func (pipe) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (pipe) Cleanup(sarama.ConsumerGroupSession) error { return nil }
func (p pipe) ConsumeClaim(sess sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for m := range claim.Messages() {
		select {
		case p.results <- p.pub.Publish(p.ctx, &pubsub.Message{Data: m.Value}):
		case <-sess.Context().Done():
			return nil
		}
		sess.MarkMessage(m, "")
	}
	return nil
}
