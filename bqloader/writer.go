package bqloader

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync/atomic"
	"time"

	"cloud.google.com/go/bigquery/storage/apiv1/storagepb"
	"cloud.google.com/go/bigquery/storage/managedwriter"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// writer appends encoded rows to the default stream of the raw table with
// the Storage Write API. The default stream commits each append when
// BigQuery acknowledges it: a row whose append succeeded is durable and
// visible to queries. Appends may run concurrently.
type writer struct {
	stream *managedwriter.ManagedStream
	// healthy reports whether BigQuery answers at all (a metadata read of
	// the table).
	healthy func(ctx context.Context) bool
	log     *slog.Logger
	metrics *loaderMetrics
	// pause is the wait before retrying after the n-th failed attempt.
	pause func(n int) time.Duration
	// timeout bounds the wait for BigQuery's answer to one append.
	timeout time.Duration
	// lastSuccess is when an append last succeeded, in Unix nanoseconds.
	lastSuccess atomic.Int64
}

// rowAttempts is how many times an append is tried before the rows it
// holds are suspected: split in halves, or for a lone row, refused if
// BigQuery takes other rows meanwhile.
const rowAttempts = 3

// write appends rows and returns the rows BigQuery refused, by index, with
// its reason. Every other row is durably in the table when write returns
// a nil error. The error is non-nil only when ctx ended first; some rows
// may then be written, none is known to be.
//
// How the rows BigQuery refuses are found without blocking the others:
//   - an append failing with row errors (real BigQuery names the rows it
//     refuses) is retried at once without those rows;
//   - an append failing with InvalidArgument is split in halves, each
//     written the same way, down to lone rows, which are refused;
//   - an append that BigQuery does not answer in time, or answers with
//     Unavailable, ResourceExhausted (quota) or Aborted, is retried as it
//     is with backoff until it succeeds or ctx ends: an outage. Nothing is
//     dead-lettered during an outage; the intake stops (backpressure);
//   - an append failing otherwise is tried rowAttempts times, then split
//     the same way. The lone rows that still fail are refused only if
//     BigQuery answers a metadata read and took other appends since the
//     write began (the emulator refuses a bad value this way: an internal
//     error, then EOF on the connection). Otherwise they are retried with
//     backoff too.
func (w *writer) write(ctx context.Context, rows [][]byte) (map[int]string, error) {
	began := time.Now().UnixNano()
	idx := make([]int, len(rows))
	for i := range idx {
		idx[i] = i
	}
	rejected := make(map[int]string)
	for outages := 1; ; outages++ {
		suspects, err := w.writeRows(ctx, rows, idx, rejected)
		if err != nil {
			return nil, err
		}
		if len(suspects) == 0 {
			return rejected, nil
		}
		if w.lastSuccess.Load() > began && w.healthy(ctx) {
			maps.Copy(rejected, suspects)
			return rejected, nil
		}
		w.metrics.writeErrors.WithLabelValues(errorOutage).Inc()
		w.log.Warn("BigQuery takes no rows, retrying", "rows", len(suspects), "attempt", outages)
		if err := sleep(ctx, w.pause(outages)); err != nil {
			return nil, err
		}
		idx = slices.Sorted(maps.Keys(suspects))
	}
}

// writeRows appends the rows idx, splitting an append that keeps failing,
// and returns the lone rows that still fail (suspects) with their error.
// Rows BigQuery refuses by name or with InvalidArgument go to rejected.
func (w *writer) writeRows(ctx context.Context, rows [][]byte, idx []int, rejected map[int]string) (map[int]string, error) {
	attempt, outages := 0, 0
	for len(idx) > 0 {
		batch := make([][]byte, len(idx))
		for i, ix := range idx {
			batch[i] = rows[ix]
		}
		resp, err := w.append(ctx, batch)
		if err == nil {
			w.lastSuccess.Store(time.Now().UnixNano())
			return nil, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if rowErrs := resp.GetRowErrors(); len(rowErrs) > 0 {
			w.metrics.writeErrors.WithLabelValues(errorRows).Inc()
			idx = dropRejected(idx, rowErrs, rejected)
			continue
		}
		if isUnavailable(err) {
			outages++
			w.metrics.writeErrors.WithLabelValues(errorOutage).Inc()
			w.log.Warn("BigQuery unavailable, retrying the append", "rows", len(idx), "attempt", outages, "err", err)
			if err := sleep(ctx, w.pause(outages)); err != nil {
				return nil, err
			}
			continue
		}
		attempt++
		invalid := status.Code(err) == codes.InvalidArgument
		if !invalid && attempt < rowAttempts {
			w.metrics.writeErrors.WithLabelValues(errorRetried).Inc()
			if err := sleep(ctx, w.pause(attempt)); err != nil {
				return nil, err
			}
			continue
		}
		w.metrics.writeErrors.WithLabelValues(errorRefused).Inc()
		if len(idx) == 1 {
			if invalid {
				rejected[idx[0]] = err.Error()
				return nil, nil
			}
			return map[int]string{idx[0]: err.Error()}, nil
		}
		w.log.Warn("BigQuery refused an append, splitting it to find the rows", "rows", len(idx), "err", err)
		mid := len(idx) / 2
		suspects, err := w.writeRows(ctx, rows, idx[:mid], rejected)
		if err != nil {
			return nil, err
		}
		more, err := w.writeRows(ctx, rows, idx[mid:], rejected)
		if err != nil {
			return nil, err
		}
		if suspects == nil {
			return more, nil
		}
		maps.Copy(suspects, more)
		return suspects, nil
	}
	return nil, nil
}

// isUnavailable reports the errors that say BigQuery did not answer or
// cannot take load now, and nothing about the rows: the append is retried
// as it is, however long it takes.
func isUnavailable(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true // no answer within --append-timeout
	}
	switch status.Code(err) {
	case codes.Unavailable, codes.DeadlineExceeded, codes.ResourceExhausted, codes.Aborted:
		return true
	}
	return false
}

// dropRejected records the rows named by rowErrs (indexes into idx) and
// returns idx without them.
func dropRejected(idx []int, rowErrs []*storagepb.RowError, rejected map[int]string) []int {
	bad := make(map[int64]string, len(rowErrs))
	for _, re := range rowErrs {
		bad[re.GetIndex()] = fmt.Sprintf("%s: %s", re.GetCode(), re.GetMessage())
	}
	keep := make([]int, 0, len(idx))
	for i, ix := range idx {
		if msg, ok := bad[int64(i)]; ok {
			rejected[ix] = msg
		} else {
			keep = append(keep, ix)
		}
	}
	return keep
}

// append sends one append and waits for BigQuery's answer, at most
// timeout. The response is returned with the error when there is one.
func (w *writer) append(ctx context.Context, rows [][]byte) (*storagepb.AppendRowsResponse, error) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	res, err := w.stream.AppendRows(ctx, rows)
	if err != nil {
		return nil, fmt.Errorf("append %d rows: %w", len(rows), err)
	}
	_, err = res.GetResult(ctx)
	w.metrics.writeLatency.Observe(time.Since(start).Seconds())
	if err == nil {
		return nil, nil
	}
	resp, _ := res.FullResponse(ctx)
	return resp, fmt.Errorf("append %d rows: %w", len(rows), err)
}

// backoff doubles from 500ms to 30s.
func backoff(n int) time.Duration {
	d := 500 * time.Millisecond << min(n-1, 6)
	return min(d, 30*time.Second)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
