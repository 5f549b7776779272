package connector

import (
	"context"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/semaphore"
)

// budget bounds the bytes of Kafka messages that the whole process holds:
// a message is counted from the moment it is taken from sarama until
// Pub/Sub acknowledged it (or the partition gave it up), whatever the
// number of partitions and members. While the budget is spent, reading
// Kafka waits.
type budget struct {
	size  int64
	sem   *semaphore.Weighted
	held  atomic.Int64
	peak  atomic.Int64 // the most held at once
	gauge prometheus.Gauge
}

func newBudget(size int64, gauge prometheus.Gauge) *budget {
	return &budget{size: size, sem: semaphore.NewWeighted(size), gauge: gauge}
}

// acquire waits until n bytes fit, or ctx is done. A message larger than
// the whole budget takes all of it.
func (b *budget) acquire(ctx context.Context, n int64) error {
	if err := b.sem.Acquire(ctx, min(n, b.size)); err != nil {
		return err
	}
	b.add(n)
	return nil
}

// tryAcquire takes n bytes if they fit now.
func (b *budget) tryAcquire(n int64) bool {
	if !b.sem.TryAcquire(min(n, b.size)) {
		return false
	}
	b.add(n)
	return true
}

func (b *budget) add(n int64) {
	held := b.held.Add(min(n, b.size))
	for peak := b.peak.Load(); held > peak && !b.peak.CompareAndSwap(peak, held); peak = b.peak.Load() {
	}
	b.gauge.Set(float64(held))
}

// release gives o's bytes back, once.
func (b *budget) release(o *outgoing) {
	if o.held == 0 {
		return
	}
	n := min(o.held, b.size)
	o.held = 0
	b.gauge.Set(float64(b.held.Add(-n)))
	b.sem.Release(n)
}
