package bqloader

import (
	"context"
	"fmt"
	"log/slog"
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
	// the table); it tells a batch BigQuery refuses from an outage.
	healthy func(ctx context.Context) bool
	log     *slog.Logger
	metrics *loaderMetrics
	// pause is the wait before retrying after the n-th failed attempt.
	pause func(n int) time.Duration
}

// rowAttempts is how many times a lone row is appended, while BigQuery is
// healthy, before it is declared rejected.
const rowAttempts = 3

// write appends rows and returns the rows BigQuery refused, by index, with
// its reason. Every other row is durably in the table when write returns
// a nil error. The error is non-nil only when ctx ended first; some rows
// may then be written, none is known to be.
//
// How rows BigQuery refuses are found without blocking the others:
//   - an append failing with row errors (real BigQuery names the rows it
//     refuses) is retried without those rows;
//   - an append refused as a whole (InvalidArgument, or any failure while
//     BigQuery otherwise answers, as the emulator does for a bad value) is
//     split in halves, each written the same way, down to a lone row,
//     which is refused after rowAttempts failures;
//   - any other failure (BigQuery unreachable, quota) is an outage: the
//     same append is retried with backoff until it succeeds or ctx ends.
//     Nothing is dead-lettered during an outage; backpressure stops the
//     intake instead.
func (w *writer) write(ctx context.Context, rows [][]byte) (map[int]string, error) {
	idx := make([]int, len(rows))
	for i := range idx {
		idx[i] = i
	}
	rejected := make(map[int]string)
	return rejected, w.writeRows(ctx, rows, idx, rejected)
}

func (w *writer) writeRows(ctx context.Context, rows [][]byte, idx []int, rejected map[int]string) error {
	failures := 0
	for len(idx) > 0 {
		batch := make([][]byte, len(idx))
		for i, ix := range idx {
			batch[i] = rows[ix]
		}
		resp, err := w.append(ctx, batch)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		failures++
		if rowErrs := resp.GetRowErrors(); len(rowErrs) > 0 {
			w.metrics.writeErrors.WithLabelValues(errorRows).Inc()
			idx = dropRejected(idx, rowErrs, rejected)
			continue
		}
		refused := status.Code(err) == codes.InvalidArgument
		if !refused && !w.healthy(ctx) {
			w.metrics.writeErrors.WithLabelValues(errorOutage).Inc()
			w.log.Warn("BigQuery unreachable, retrying the append", "rows", len(idx), "attempt", failures, "err", err)
			if err := sleep(ctx, w.pause(failures)); err != nil {
				return err
			}
			continue
		}
		w.metrics.writeErrors.WithLabelValues(errorRefused).Inc()
		if len(idx) > 1 {
			w.log.Warn("BigQuery refused an append, splitting it to find the rows", "rows", len(idx), "err", err)
			mid := len(idx) / 2
			if err := w.writeRows(ctx, rows, idx[:mid], rejected); err != nil {
				return err
			}
			return w.writeRows(ctx, rows, idx[mid:], rejected)
		}
		if refused || failures >= rowAttempts {
			rejected[idx[0]] = err.Error()
			return nil
		}
		if err := sleep(ctx, w.pause(failures)); err != nil {
			return err
		}
	}
	return nil
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

// append sends one append and waits for BigQuery's answer. The response
// is returned with the error when there is one.
func (w *writer) append(ctx context.Context, rows [][]byte) (*storagepb.AppendRowsResponse, error) {
	start := time.Now()
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
