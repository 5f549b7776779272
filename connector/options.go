package connector

import (
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/api/option"

	"github.com/ztfbridge/ztfbridge/internal/core/metrics"
)

// An Option gives New one of the connector's dependencies, which no flag
// sets: where it logs, where its metrics go, its clock, how it reaches
// Google.
type Option func(*deps)

// deps are the dependencies of a Connector, defaults filled by newDeps.
type deps struct {
	log            *slog.Logger
	reg            *prometheus.Registry
	now            func() time.Time
	pubsubOptions  []option.ClientOption
	storageOptions []option.ClientOption
}

func newDeps(opts []Option) deps {
	d := deps{log: slog.Default(), now: time.Now}
	for _, o := range opts {
		o(&d)
	}
	if d.reg == nil {
		d.reg = metrics.NewRegistry()
	}
	return d
}

// WithLogger sends the connector's JSON logs to l (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(d *deps) { d.log = l } }

// WithRegistry registers the connector's metrics in r (default a new
// metrics.NewRegistry()); the command that runs the connector serves it.
func WithRegistry(r *prometheus.Registry) Option { return func(d *deps) { d.reg = r } }

// WithClock makes now the clock that names tonight's topic and stamps the
// counts (default time.Now).
func WithClock(now func() time.Time) Option { return func(d *deps) { d.now = now } }

// WithPubSubOptions adds opts (endpoints, credentials) to those of the
// Pub/Sub client, which also honours PUBSUB_EMULATOR_HOST. Later options
// win.
func WithPubSubOptions(opts ...option.ClientOption) Option {
	return func(d *deps) { d.pubsubOptions = append(d.pubsubOptions, opts...) }
}

// WithStorageOptions adds opts to those of the Cloud Storage client of
// the counts (Config.CountsBucket). Later options win.
func WithStorageOptions(opts ...option.ClientOption) Option {
	return func(d *deps) { d.storageOptions = append(d.storageOptions, opts...) }
}
