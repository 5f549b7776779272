package bqloader

import (
	"context"
	"sync"
	"time"

	"github.com/ztfbridge/ztfbridge/internal/core/night"
)

// pending is one received alert on its way to BigQuery.
type pending struct {
	night  night.Night
	candid int64
	row    []byte       // encoded for the Storage Write API
	done   chan outcome // buffered: receives exactly one outcome
}

// outcome is what became of a pending row: written (zero outcome),
// refused by BigQuery (rejected says why), or not known to be written
// because the drain ended (err).
type outcome struct {
	rejected string
	err      error
}

// batcher gathers pending rows into batches of at most maxRows rows and
// maxBytes bytes, waiting at most delay after a batch's first row, and
// writes up to inFlight batches at once with flush. When inFlight batches
// are being written it stops taking rows, so senders wait: that wait is
// what pushes back on Pub/Sub.
type batcher struct {
	in       chan *pending
	maxRows  int
	maxBytes int
	delay    time.Duration
	slots    chan struct{}
	flush    func(ctx context.Context, batch []*pending)
	writes   sync.WaitGroup
}

func newBatcher(maxRows, maxBytes int, delay time.Duration, inFlight int, flush func(context.Context, []*pending)) *batcher {
	return &batcher{
		in:       make(chan *pending),
		maxRows:  maxRows,
		maxBytes: maxBytes,
		delay:    delay,
		slots:    make(chan struct{}, inFlight),
		flush:    flush,
	}
}

// write hands p to the batcher and waits for its outcome, or for ctx.
func (b *batcher) write(ctx context.Context, p *pending) outcome {
	select {
	case b.in <- p:
	case <-ctx.Done():
		return outcome{err: ctx.Err()}
	}
	select {
	case o := <-p.done:
		return o
	case <-ctx.Done():
		return outcome{err: ctx.Err()}
	}
}

// close tells run that no row will come any more. Call it once, after
// the last write has returned.
func (b *batcher) close() { close(b.in) }

// run batches until close, then writes what it holds and returns when
// every batch is written. Once draining is closed (the loader stops
// receiving) it writes each batch as soon as it has one, without waiting
// for delay. Writes get ctx.
func (b *batcher) run(ctx context.Context, draining <-chan struct{}) {
	var (
		batch []*pending
		bytes int
		timer = time.NewTimer(time.Hour)
	)
	timer.Stop()
	flush := func() {
		timer.Stop()
		if len(batch) == 0 {
			return
		}
		b.slots <- struct{}{} // blocks while inFlight batches are being written
		b.writes.Add(1)
		go func(batch []*pending) {
			defer func() { <-b.slots; b.writes.Done() }()
			b.flush(ctx, batch)
		}(batch)
		batch, bytes = nil, 0
	}
	defer b.writes.Wait()
	drained := false
	for {
		select {
		case p, ok := <-b.in:
			if !ok {
				flush()
				return
			}
			if len(batch) > 0 && bytes+len(p.row) > b.maxBytes {
				flush()
			}
			batch = append(batch, p)
			bytes += len(p.row)
			if len(batch) == 1 {
				timer.Reset(b.delay)
			}
			if len(batch) >= b.maxRows || bytes >= b.maxBytes || drained {
				flush()
			}
		case <-timer.C:
			flush()
		case <-draining:
			drained, draining = true, nil
			flush()
		}
	}
}
