package bqloader

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ztfbridge/ztfbridge/internal/core/message"
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
	const ns, sub = "ztfbridge", "bqloader"
	m := &loaderMetrics{
		received: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "received_total",
			Help: "Pub/Sub messages received."}),
		rowsWritten: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "rows_written_total",
			Help: "Rows BigQuery acknowledged (durable in alerts_raw)."}),
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "duplicates_dropped_total",
			Help: "Alerts acknowledged without a write: their candid already has a row."}),
		deadLettered: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "dead_lettered_total",
			Help: "Messages published to the dead-letter topic and acknowledged, by reason."}, []string{"reason"}),
		nacked: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "nacked_total",
			Help: "Messages handed back to Pub/Sub for redelivery (shutdown, dead-letter topic unreachable)."}),
		writeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "write_errors_total",
			Help: "Failed appends, by kind: row_errors, retried, refused (split to find the bad rows), outage (BigQuery took nothing; retried)."}, []string{"kind"}),
		writeLatency: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: ns, Subsystem: sub, Name: "write_latency_seconds",
			Help:    "Time from an append to BigQuery's answer.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2, 12)}),
		batchRows: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: ns, Subsystem: sub, Name: "batch_rows",
			Help:    "Rows per batch written.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 11)}),
		seenCandids: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub, Name: "dedup_candids",
			Help: "Candids remembered to skip the replay, all nights together."}),
		unmappedFields: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "unmapped_fields_total",
			Help: "Fields of loaded alerts that the table has no column for (kept only in the packet in GCS), summed over alerts, by writer schema id."}, []string{"schema"}),
	}
	reg.MustRegister(m.received, m.rowsWritten, m.duplicates, m.deadLettered, m.nacked, m.writeErrors, m.writeLatency, m.batchRows, m.seenCandids, m.unmappedFields)
	for _, r := range []message.Reason{message.Undecodable, message.NotOneAlert, message.InvalidIDs, message.Unencodable, message.Rejected} {
		m.deadLettered.WithLabelValues(string(r))
	}
	for _, k := range []string{errorRows, errorUnnamed, errorOutage} {
		m.writeErrors.WithLabelValues(k)
	}
	return m
}
