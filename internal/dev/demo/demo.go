package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ztfbridge/ztfbridge/bqloader"
	"github.com/ztfbridge/ztfbridge/connector"
	"github.com/ztfbridge/ztfbridge/internal/core/deps"
	"github.com/ztfbridge/ztfbridge/internal/core/night"
	"github.com/ztfbridge/ztfbridge/internal/dev/simulate"
	"github.com/ztfbridge/ztfbridge/internal/dev/stack"
	"github.com/ztfbridge/ztfbridge/internal/dev/synth"
	"github.com/ztfbridge/ztfbridge/internal/ops/nightcount"
)

// Config is everything the demo can be told; DefaultConfig holds the
// defaults, each one a flag of "ztfbridge-dev demo".
type Config struct {
	Night      night.Night   // night of the generated alerts
	Count      int           // alerts of the night
	Seed       uint64        // seed of the generated alerts
	Rate       float64       // alerts produced per second; 0 = as fast as Kafka takes them
	Replay     bool          // once the night is through, produce it a second time, as ZTF does at 10am
	Partitions int           // partitions of the night's Kafka topic
	Quiet      time.Duration // the pipeline is done when its counts stay unchanged this long
	Timeout    time.Duration // longest wait for the pipeline to finish after producing
	Names      Names         // topics, subscriptions, bucket, dataset, group
}

// DefaultConfig returns a night of 2000 alerts, today's, with its replay:
// about two minutes on a 2-core machine.
func DefaultConfig() Config {
	return Config{
		Night:      night.Of(time.Now()),
		Count:      2000,
		Seed:       1,
		Rate:       500,
		Replay:     true,
		Partitions: 16,
		Quiet:      3 * time.Second,
		Timeout:    5 * time.Minute,
		Names:      DefaultNames(),
	}
}

// Report is the outcome of a demo: what was produced, what every stage
// holds for the night, and whether that is every alert exactly once.
type Report struct {
	Produced int64             `json:"produced"` // Kafka messages produced, replay included
	Night    nightcount.Report `json:"night"`    // the night's counts, judged against the alerts produced
	OK       bool              `json:"ok"`
	Summary  string            `json:"summary"` // the verdict line
	Elapsed  time.Duration     `json:"elapsed_ns"`
}

// StartStack starts the local stack the demo runs on: Kafka, the Pub/Sub
// emulator, fake-gcs-server and the BigQuery emulator, holding cfg.Names'
// topics and bucket, logging to log (the emulator's first build, each
// server's start) and saying what it does on progress. The caller must
// Close it.
func StartStack(ctx context.Context, log *slog.Logger, progress io.Writer, cfg Config) (*stack.Stack, error) {
	fmt.Fprintln(progress, "demo: starting Kafka, the Pub/Sub emulator, fake-gcs-server and the BigQuery emulator (the first run builds the emulator, ~5 min)")
	s, err := stack.Start(ctx, log, cfg.Names.StackConfig(cfg.Partitions))
	if err != nil {
		return nil, err
	}
	if s.PubSub.InProcess {
		fmt.Fprintln(progress, "demo: gcloud's Pub/Sub emulator is missing: using pstest, which has no push delivery, so the function receives nothing")
	}
	return s, nil
}

// Run is the whole demo on s: subscribe the function and the loader, run
// the function, the loader and the connector in this process, produce the
// night and its replay, wait until the pipeline is quiet, stop it
// (draining) and count the night at every stage. It writes a line to
// progress about once a second during long steps; the components log to
// the logger of opts (deps.WithLogger; the others are not used). An error
// means the demo could not run; a lost or duplicated alert is a Report
// that is not OK.
func Run(ctx context.Context, s *stack.Stack, cfg Config, progress io.Writer, opts ...deps.Option) (Report, error) {
	start := time.Now()
	log := deps.New(opts...).Logger
	n := cfg.Names
	topic := cfg.Night.Topic()
	if err := s.Kafka.CreateTopic(ctx, topic, cfg.Partitions); err != nil {
		return Report{}, err
	}

	p, err := startPipeline(ctx, s, n, log)
	if err != nil {
		return Report{}, err
	}
	defer p.stop()
	if err := p.startConnector(ctx, s, n, topic, log); err != nil {
		return Report{}, err
	}
	fmt.Fprintf(progress, "demo: connector, function (%s) and loader running; producing %d alerts into %s at %g/s\n", p.function.URL, cfg.Count, topic, cfg.Rate)

	// The night, then, once the pipeline is done with it, the 10am replay:
	// ZTF replays hours later, when the night is long stored.
	watch := newProgress(progress, p)
	src := simulate.Generated(synth.Config{Night: cfg.Night, Seed: cfg.Seed}, cfg.Count)
	passes := []string{"the night"}
	if cfg.Replay {
		passes = append(passes, "the 10am replay")
	}
	var produced int64
	for _, pass := range passes {
		before := produced
		sim := simulate.Config{Brokers: s.Kafka.Addrs(), Topic: topic, Partitions: int32(cfg.Partitions), Rate: cfg.Rate,
			Progress: func(sp simulate.Progress) { watch.produced.Store(before + sp.Produced); watch.print() }}
		sp, err := simulate.Run(ctx, sim, src)
		if err != nil {
			return Report{}, err
		}
		produced += sp.Produced
		fmt.Fprintf(progress, "demo: produced %s, %d messages in %s; waiting for the pipeline to finish\n", pass, sp.Produced, sp.Elapsed.Round(time.Millisecond))
		if !watch.waitQuiet(ctx, int64(cfg.Count), cfg.Quiet, cfg.Timeout) {
			fmt.Fprintf(progress, "demo: the pipeline did not finish %s within %s\n", pass, cfg.Timeout)
		}
	}
	if err := p.stop(); err != nil {
		log.Warn("stopping the pipeline", "err", err)
	}
	fmt.Fprintln(progress, "demo: pipeline stopped; counting the night at every stage")
	countStart := time.Now()
	countCtx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	counts, err := Count(countCtx, s, n, cfg.Night)
	fmt.Fprintf(progress, "demo: counted in %s\n", time.Since(countStart).Round(time.Millisecond))
	r := Judge(int64(cfg.Count), produced, counts)
	r.Elapsed = time.Since(start)
	return r, err
}

// Judge compares what every stage holds with the alerts produced: the
// pipeline is OK when Kafka holds every message produced, Pub/Sub got at
// least every alert, and GCS, BigQuery's analysts' view and its distinct
// candids hold each alert exactly once (nightcount's verdict). A stage
// that could not be counted is not OK.
func Judge(alerts, produced int64, c nightcount.StageCounts) Report {
	v := c.Verdict(alerts)
	r := Report{Produced: produced, Night: nightcount.Report{StageCounts: c, Expected: alerts, Verdict: v, OK: v.OK()}}
	equal := func(n *int64, want int64) bool { return n != nil && *n == want }
	r.OK = v.OK() && equal(c.KafkaMessages, produced) && c.PubSubPublished != nil && *c.PubSubPublished >= alerts &&
		equal(c.GCSObjects, alerts) && equal(c.BigQueryRows, alerts) && equal(c.DistinctCandids, alerts)
	verdict := "OK"
	if !r.OK {
		verdict = "NOT OK (" + v.String() + ")"
	}
	replay := ""
	if produced > alerts {
		replay = " with the replay"
	}
	r.Summary = fmt.Sprintf("%d alerts: Kafka %s%s, Pub/Sub %s, GCS %s, BigQuery %s rows and %s distinct: %s",
		alerts, number(c.KafkaMessages), replay, number(c.PubSubPublished), number(c.GCSObjects),
		number(c.BigQueryRows), number(c.DistinctCandids), verdict)
	return r
}

// number prints a count, or n/a for a stage that was not counted.
func number(n *int64) string {
	if n == nil {
		return "n/a"
	}
	return strconv.FormatInt(*n, 10)
}

// WriteTable writes the per-night table of package nightcount, then the
// verdict line.
func (r Report) WriteTable(w io.Writer) error {
	if err := nightcount.WriteTable(w, r.Night.Expected, r.Night.StageCounts); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w, r.Summary)
	return err
}

// WriteJSON writes r as one indented JSON object.
func (r Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// pipeline is the connector, the function and the loader running in this
// process against a stack.
type pipeline struct {
	function  *Function
	connector *running
	loader    *running
	regs      map[string]prometheus.Gatherer
}

// startPipeline starts the function, subscribes it and the loader, then
// starts the loader. The connector comes separately (startConnector), so
// that a test can run it as a process of its own.
func startPipeline(ctx context.Context, s *stack.Stack, n Names, log *slog.Logger) (p *pipeline, err error) {
	p = &pipeline{regs: map[string]prometheus.Gatherer{}}
	defer func() {
		if err != nil {
			_ = p.stop()
		}
	}()
	if p.function, err = StartFunction(ctx, s, n.Bucket, log); err != nil {
		return p, err
	}
	if err := n.Subscribe(ctx, s.PubSub, p.function.URL); err != nil {
		return p, err
	}
	l, err := bqloader.New(ctx, n.LoaderConfig(s), deps.WithLogger(log), deps.WithPubSubOptions(s.PubSub.ClientOptions()...))
	if err != nil {
		return p, fmt.Errorf("demo: loader: %w", err)
	}
	p.loader = start(ctx, l)
	p.regs["loader"] = l.Registry()
	return p, nil
}

// startConnector starts the connector of topic in this process.
func (p *pipeline) startConnector(ctx context.Context, s *stack.Stack, n Names, topic string, log *slog.Logger) error {
	c, err := connector.New(ctx, n.ConnectorConfig(s, topic), deps.WithLogger(log),
		deps.WithPubSubOptions(s.PubSub.ClientOptions()...), deps.WithStorageOptions(s.GCS.ClientOptions()...))
	if err != nil {
		return fmt.Errorf("demo: connector: %w", err)
	}
	p.connector = start(ctx, c)
	p.regs["connector"] = c.Registry()
	return nil
}

// stop stops the connector first, then the loader and the function, each
// draining what it holds. Calling it again is harmless.
func (p *pipeline) stop() error {
	var errs []error
	for _, r := range []*running{p.connector, p.loader} {
		if r != nil {
			errs = append(errs, r.stop())
		}
	}
	if p.function != nil {
		errs = append(errs, p.function.Close())
		p.function = nil
	}
	return errors.Join(errs...)
}

// A component is what package connector and bqloader make: run once, then
// closed.
type component interface {
	Run(ctx context.Context) error
	Close() error
}

// running is a component running in its own goroutine.
type running struct {
	c      component
	cancel context.CancelFunc
	done   chan error
	err    error
	once   bool
}

func start(ctx context.Context, c component) *running {
	ctx, cancel := context.WithCancel(ctx)
	r := &running{c: c, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- c.Run(ctx) }()
	return r
}

// closeTimeout bounds Close after Run returned. Run has drained by then,
// so what Close still waits for is only the clients' goodbye; the
// BigQuery emulator sometimes never answers the write stream's.
const closeTimeout = 10 * time.Second

// stop cancels the component's Run, waits for it and closes it, giving up
// on Close after closeTimeout.
func (r *running) stop() error {
	if !r.once {
		r.once = true
		r.cancel()
		runErr := <-r.done
		closed := make(chan error, 1)
		go func() { closed <- r.c.Close() }()
		select {
		case err := <-closed:
			r.err = errors.Join(runErr, err)
		case <-time.After(closeTimeout):
			r.err = errors.Join(runErr, fmt.Errorf("demo: %T did not close within %s", r.c, closeTimeout))
		}
	}
	return r.err
}
