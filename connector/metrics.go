package connector

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ztfbridge/ztfbridge/internal/core/message"
)

// The kind label of ztfbridge_connector_kafka_errors_total.
const (
	kafkaErrorFetch = "fetch"
	kafkaErrorGroup = "group"
)

// connectorMetrics are the Prometheus series of one connector.
type connectorMetrics struct {
	consumed       prometheus.Counter
	published      prometheus.Counter
	failed         prometheus.Counter
	deadLettered   *prometheus.CounterVec
	replayDropped  prometheus.Counter
	lag            *prometheus.GaugeVec
	publishLatency prometheus.Histogram
	dedupCandids   prometheus.Gauge
	heldBytes      prometheus.Gauge
	kafkaErrors    *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *connectorMetrics {
	const ns, sub = "ztfbridge", "connector"
	m := &connectorMetrics{
		consumed: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "consumed_total",
			Help: "Kafka messages read."}),
		published: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "published_total",
			Help: "Alerts whose publish to the alert topic was acknowledged by Pub/Sub."}),
		failed: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "publish_failures_total",
			Help: "Publish attempts that failed and were retried."}),
		deadLettered: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "dead_lettered_total",
			Help: "Messages acknowledged on the dead-letter topic, by reason."}, []string{"reason"}),
		replayDropped: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "replay_dropped_total",
			Help: "Alerts not published because their candid was already published this night (--dedup-replay)."}),
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub, Name: "lag",
			Help: "Messages between the group's committed offset and the end of the partition."}, []string{"topic", "partition"}),
		publishLatency: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: ns, Subsystem: sub, Name: "publish_latency_seconds",
			Help:    "Time from Publish to Pub/Sub's acknowledgement.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 12)}),
		dedupCandids: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub, Name: "dedup_candids",
			Help: "Candids held by --dedup-replay, all nights together."}),
		heldBytes: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub, Name: "held_bytes",
			Help: "Bytes of Kafka messages read and not yet acknowledged by Pub/Sub (at most --max-held-bytes)."}),
		kafkaErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "kafka_errors_total",
			Help: "Errors sarama reported while consuming: fetch (per partition) or group (joins, heartbeats, commits)."}, []string{"kind"}),
	}
	reg.MustRegister(m.consumed, m.published, m.failed, m.deadLettered, m.replayDropped, m.lag, m.publishLatency, m.dedupCandids,
		m.heldBytes, m.kafkaErrors)
	for _, r := range []message.Reason{message.Undecodable, message.NotOneAlert, message.InvalidIDs, message.TooLarge, message.PublishRefused} {
		m.deadLettered.WithLabelValues(string(r))
	}
	for _, k := range []string{kafkaErrorFetch, kafkaErrorGroup} {
		m.kafkaErrors.WithLabelValues(k)
	}
	return m
}

// setLag records the lag of every partition of topic, and forgets
// partitions it has no figure for.
func (m *connectorMetrics) setLag(topic string, lag map[int32]int64) {
	m.lag.DeletePartialMatch(prometheus.Labels{"topic": topic})
	for p, l := range lag {
		m.lag.WithLabelValues(topic, strconv.Itoa(int(p))).Set(float64(l))
	}
}
