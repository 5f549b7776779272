package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Namespace is the first part of every ztfbridge series name.
const Namespace = "ztfbridge"

// Series makes the Prometheus series of one component, each named
// ztfbridge_<subsystem>_<name>, and registers each on the registry as it
// makes it, so that no series is declared and left unregistered.
type Series struct {
	factory   promauto.Factory
	subsystem string
}

// NewSeries returns the Series of subsystem (connector, bqloader) on reg.
func NewSeries(reg prometheus.Registerer, subsystem string) Series {
	return Series{factory: promauto.With(reg), subsystem: subsystem}
}

// Counter makes and registers a counter.
func (s Series) Counter(name, help string) prometheus.Counter {
	return s.factory.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Subsystem: s.subsystem, Name: name, Help: help})
}

// Gauge makes and registers a gauge.
func (s Series) Gauge(name, help string) prometheus.Gauge {
	return s.factory.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Subsystem: s.subsystem, Name: name, Help: help})
}

// GaugeVec makes and registers a gauge with the given labels.
func (s Series) GaugeVec(name, help string, labels ...string) *prometheus.GaugeVec {
	return s.factory.NewGaugeVec(prometheus.GaugeOpts{Namespace: Namespace, Subsystem: s.subsystem, Name: name, Help: help}, labels)
}

// Histogram makes and registers a histogram with the given buckets.
func (s Series) Histogram(name, help string, buckets []float64) prometheus.Histogram {
	return s.factory.NewHistogram(prometheus.HistogramOpts{Namespace: Namespace, Subsystem: s.subsystem, Name: name, Help: help, Buckets: buckets})
}

// CountBy makes and registers a counter with the one label label, and
// creates its series for each of values at 0, so that a dashboard or an
// alert sees a kind that has not happened yet as 0 rather than absent.
func CountBy[V ~string](s Series, name, help, label string, values ...V) *prometheus.CounterVec {
	c := s.factory.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Subsystem: s.subsystem, Name: name, Help: help}, []string{label})
	for _, v := range values {
		c.WithLabelValues(string(v))
	}
	return c
}
