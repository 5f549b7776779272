package connector

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ztfbridge/ztfbridge/internal/core/message"
	"github.com/ztfbridge/ztfbridge/internal/core/metrics"
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
	s := metrics.NewSeries(reg, "connector")
	return &connectorMetrics{
		consumed:  s.Counter("consumed_total", "Kafka messages read."),
		published: s.Counter("published_total", "Alerts whose publish to the alert topic was acknowledged by Pub/Sub."),
		failed:    s.Counter("publish_failures_total", "Publish attempts that failed and were retried."),
		deadLettered: metrics.CountBy(s, "dead_lettered_total", "Messages acknowledged on the dead-letter topic, by reason.", "reason",
			message.Undecodable, message.NotOneAlert, message.InvalidIDs, message.TooLarge, message.PublishRefused),
		replayDropped: s.Counter("replay_dropped_total", "Alerts not published because their candid was already published this night (--dedup-replay)."),
		lag:           s.GaugeVec("lag", "Messages between the group's committed offset and the end of the partition.", "topic", "partition"),
		publishLatency: s.Histogram("publish_latency_seconds", "Time from Publish to Pub/Sub's acknowledgement.",
			prometheus.ExponentialBuckets(0.005, 2, 12)),
		dedupCandids: s.Gauge("dedup_candids", "Candids held by --dedup-replay, all nights together."),
		heldBytes:    s.Gauge("held_bytes", "Bytes of Kafka messages read and not yet acknowledged by Pub/Sub (at most --max-held-bytes)."),
		kafkaErrors: metrics.CountBy(s, "kafka_errors_total", "Errors sarama reported while consuming: fetch (per partition) or group (joins, heartbeats, commits).", "kind",
			kafkaErrorFetch, kafkaErrorGroup),
	}
}

// setLag records the lag of every partition of topic, and forgets
// partitions it has no figure for.
func (m *connectorMetrics) setLag(topic string, lag map[int32]int64) {
	m.lag.DeletePartialMatch(prometheus.Labels{"topic": topic})
	for p, l := range lag {
		m.lag.WithLabelValues(topic, strconv.Itoa(int(p))).Set(float64(l))
	}
}
