package bqloader

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ztfbridge/ztfbridge/internal/core/message"
	"github.com/ztfbridge/ztfbridge/internal/core/metrics"
)

// Kinds of write errors, the values of the kind label of
// ztfbridge_bqloader_write_errors_total.
const (
	errorRows    = "row_errors" // BigQuery named rows it refuses
	errorUnnamed = "unnamed"    // BigQuery refused an append without naming a row; retried
	errorOutage  = "outage"     // BigQuery took no rows; retried after a backoff
)

// loaderMetrics are the Prometheus series of one loader.
type loaderMetrics struct {
	received     prometheus.Counter
	rowsWritten  prometheus.Counter
	duplicates   prometheus.Counter
	deadLettered *prometheus.CounterVec
	nacked       prometheus.Counter
	writeErrors  *prometheus.CounterVec
	writeLatency prometheus.Histogram
	batchRows    prometheus.Histogram
	seenCandids  prometheus.Gauge
	// unmappedFields counts, by writer schema, the fields of loaded
	// alerts that have no column (unmapped.go).
	unmappedFields *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *loaderMetrics {
	s := metrics.NewSeries(reg, "bqloader")
	return &loaderMetrics{
		received:    s.Counter("received_total", "Pub/Sub messages received."),
		rowsWritten: s.Counter("rows_written_total", "Rows BigQuery acknowledged (durable in alerts_raw)."),
		duplicates:  s.Counter("duplicates_dropped_total", "Alerts acknowledged without a write: their candid already has a row."),
		deadLettered: metrics.CountBy(s, "dead_lettered_total", "Messages published to the dead-letter topic and acknowledged, by reason.", "reason",
			message.Undecodable, message.NotOneAlert, message.InvalidIDs, message.Unencodable, message.Rejected),
		nacked: s.Counter("nacked_total", "Messages handed back to Pub/Sub for redelivery (shutdown, dead-letter topic unreachable)."),
		writeErrors: metrics.CountBy(s, "write_errors_total",
			"Failed appends, by kind: row_errors, retried, refused (split to find the bad rows), outage (BigQuery took nothing; retried).", "kind",
			errorRows, errorUnnamed, errorOutage),
		writeLatency: s.Histogram("write_latency_seconds", "Time from an append to BigQuery's answer.", prometheus.ExponentialBuckets(0.01, 2, 12)),
		batchRows:    s.Histogram("batch_rows", "Rows per batch written.", prometheus.ExponentialBuckets(1, 2, 11)),
		seenCandids:  s.Gauge("dedup_candids", "Candids remembered to skip the replay, all nights together."),
		unmappedFields: metrics.CountBy[string](s, "unmapped_fields_total",
			"Fields of loaded alerts that the table has no column for (kept only in the packet in GCS), summed over alerts, by writer schema id.", "schema"),
	}
}
