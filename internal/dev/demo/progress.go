package demo

import (
	"context"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// progress follows the alerts through the running pipeline, from the
// components' own counters.
type progress struct {
	w        io.Writer
	p        *pipeline
	produced atomic.Int64
}

func newProgress(w io.Writer, p *pipeline) *progress { return &progress{w: w, p: p} }

// stages are the counters of one moment.
type stages struct {
	published, stored, duplicates int64
	loaded                        int64 // rows written, a candid more than once at times
	settled                       int64 // messages the loader is done with: loaded, dropped as duplicates or dead-lettered
}

func (pr *progress) read() stages {
	c := pr.p.function.Archiver.Outcomes()
	return stages{
		published:  counter(pr.p.regs["connector"], "ztfbridge_connector_published_total"),
		stored:     c.Stored,
		duplicates: c.Duplicates,
		loaded:     counter(pr.p.regs["loader"], "ztfbridge_bqloader_rows_written_total"),
		settled: counter(pr.p.regs["loader"], "ztfbridge_bqloader_rows_written_total") +
			counter(pr.p.regs["loader"], "ztfbridge_bqloader_duplicates_dropped_total") +
			counter(pr.p.regs["loader"], "ztfbridge_bqloader_dead_lettered_total"),
	}
}

// print writes one progress line.
func (pr *progress) print() stages {
	s := pr.read()
	fmt.Fprintf(pr.w, "demo: %d produced, %d published to Pub/Sub, %d stored in GCS (+%d duplicates skipped), %d rows loaded into BigQuery\n",
		pr.produced.Load(), s.published, s.stored, s.duplicates, s.loaded)
	return s
}

// waitQuiet waits until GCS and BigQuery hold at least alerts, the loader
// is done with every message the connector published (when the connector
// runs in this process), and no counter has moved for quiet, printing
// progress every second. It reports false when timeout passed first.
func (pr *progress) waitQuiet(ctx context.Context, alerts int64, quiet, timeout time.Duration) bool {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	deadline := time.After(timeout)
	last, since := pr.read(), time.Now()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-deadline:
			return false
		case <-tick.C:
		}
		s := pr.print()
		if s != last {
			last, since = s, time.Now()
			continue
		}
		if s.stored >= alerts && s.loaded >= alerts && s.settled >= s.published && time.Since(since) >= quiet {
			return true
		}
	}
}

// counter sums the values of the counter named name in g; 0 when g is nil.
func counter(g prometheus.Gatherer, name string) int64 {
	if g == nil {
		return 0
	}
	families, err := g.Gather()
	if err != nil {
		return 0
	}
	var sum float64
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			sum += m.GetCounter().GetValue()
		}
	}
	return int64(sum)
}
