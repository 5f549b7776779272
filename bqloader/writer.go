package bqloader

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
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
	stream  *managedwriter.ManagedStream
	log     *slog.Logger
	metrics *loaderMetrics
	// pause is the wait before retrying after the n-th failed attempt.
	pause func(n int) time.Duration
	// timeout bounds the wait for BigQuery's answer to one append.
	timeout time.Duration
}

// rowAttempts is how many times an append that BigQuery refuses without
// naming a row is tried before its halves are written apart.
const rowAttempts = 3

// settleFunc is told what became of row i of a write, once: written
// (refused == "" and err == nil), refused by BigQuery with its reason, or
// not known to be written because ctx ended (err).
type settleFunc func(i int, refused string, err error)

// write appends rows and settles each row as soon as its fate is known, so
// that a row that keeps failing never holds back the others. It returns
// when every row is settled.
//
// A row is refused only when BigQuery names it: an append failing with row
// errors is retried at once without those rows. Every other failure is
// retried with backoff until the rows are written or ctx ends:
//   - an append that BigQuery does not answer in time, or answers with
//     Unavailable, ResourceExhausted (quota) or Aborted, as it is: an
//     outage, during which the intake stops (backpressure);
//   - an append refused without a row named (InvalidArgument while a new
//     column propagates, an internal error), rowAttempts times as it is,
//     then as two halves written side by side, down to lone rows: the rows
//     that can be written are, and a row that cannot is retried until
//     ctx ends (then handed back to Pub/Sub, whose dead-letter policy
//     takes it after its delivery attempts), never refused.
func (w *writer) write(ctx context.Context, rows [][]byte, settle settleFunc) {
	idx := make([]int, len(rows))
	for i := range idx {
		idx[i] = i
	}
	w.writeRows(ctx, rows, idx, settle)
}

// writeRows writes the rows idx of rows, as write does.
func (w *writer) writeRows(ctx context.Context, rows [][]byte, idx []int, settle settleFunc) {
	failures := 0
	for len(idx) > 0 {
		batch := make([][]byte, len(idx))
		for i, ix := range idx {
			batch[i] = rows[ix]
		}
		resp, err := w.append(ctx, batch)
		if err == nil {
			for _, ix := range idx {
				settle(ix, "", nil)
			}
			return
		}
		if ctx.Err() != nil {
			for _, ix := range idx {
				settle(ix, "", ctx.Err())
			}
			return
		}
		if rowErrs := resp.GetRowErrors(); len(rowErrs) > 0 {
			w.metrics.writeErrors.WithLabelValues(errorRows).Inc()
			idx = dropRejected(idx, rowErrs, settle)
			continue
		}
		failures++
		if isUnavailable(err) {
			w.metrics.writeErrors.WithLabelValues(errorOutage).Inc()
			w.log.Warn("BigQuery unavailable, retrying the append", "rows", len(idx), "attempt", failures, "err", err)
		} else {
			w.metrics.writeErrors.WithLabelValues(errorUnnamed).Inc()
			if failures >= rowAttempts && len(idx) > 1 {
				w.log.Warn("BigQuery refused an append without naming a row; writing its halves apart", "rows", len(idx), "err", err)
				mid := len(idx) / 2
				var wg sync.WaitGroup
				wg.Go(func() { w.writeRows(ctx, rows, idx[:mid], settle) })
				w.writeRows(ctx, rows, idx[mid:], settle)
				wg.Wait()
				return
			}
			w.log.Warn("BigQuery refused an append without naming a row; retrying", "rows", len(idx), "attempt", failures, "err", err)
		}
		if err := sleep(ctx, w.pause(failures)); err != nil {
			for _, ix := range idx {
				settle(ix, "", err)
			}
			return
		}
	}
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

// dropRejected settles the rows named by rowErrs (indexes into idx) as
// refused and returns idx without them.
func dropRejected(idx []int, rowErrs []*storagepb.RowError, settle settleFunc) []int {
	bad := make(map[int64]string, len(rowErrs))
	for _, re := range rowErrs {
		bad[re.GetIndex()] = fmt.Sprintf("%s: %s", re.GetCode(), re.GetMessage())
	}
	keep := make([]int, 0, len(idx))
	for i, ix := range idx {
		if msg, ok := bad[int64(i)]; ok {
			settle(ix, msg, nil)
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
