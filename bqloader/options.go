package bqloader

import (
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/api/option"

	"github.com/ztfbridge/ztfbridge/internal/core/metrics"
)

// An Option gives New one of the loader's dependencies, which no flag
// sets: where it logs, where its metrics go, its clock, how it reaches
// Google.
type Option func(*deps)

// deps are the dependencies of a Loader, defaults filled by newDeps.
type deps struct {
	log                 *slog.Logger
	reg                 *prometheus.Registry
	now                 func() time.Time
	pubsubOptions       []option.ClientOption
	bigQueryOptions     []option.ClientOption
	storageWriteOptions []option.ClientOption
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

// WithLogger sends the loader's JSON logs to l (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(d *deps) { d.log = l } }

// WithRegistry registers the loader's metrics in r (default a new
// metrics.NewRegistry()); the command that runs the loader serves it.
func WithRegistry(r *prometheus.Registry) Option { return func(d *deps) { d.reg = r } }

// WithClock makes now the clock that stamps ingest_time and names the
// nights whose candids are remembered (default time.Now).
func WithClock(now func() time.Time) Option { return func(d *deps) { d.now = now } }

// WithPubSubOptions adds opts (endpoints, credentials) to those of the
// Pub/Sub client, which also honours PUBSUB_EMULATOR_HOST. Later options
// win.
func WithPubSubOptions(opts ...option.ClientOption) Option {
	return func(d *deps) { d.pubsubOptions = append(d.pubsubOptions, opts...) }
}

// WithBigQueryOptions adds opts to those of the BigQuery REST client,
// after the ones Config.BigQueryAPI implies.
func WithBigQueryOptions(opts ...option.ClientOption) Option {
	return func(d *deps) { d.bigQueryOptions = append(d.bigQueryOptions, opts...) }
}

// WithStorageWriteOptions adds opts to those of the Storage Write API
// client, after the ones Config.StorageWriteAPI implies.
func WithStorageWriteOptions(opts ...option.ClientOption) Option {
	return func(d *deps) { d.storageWriteOptions = append(d.storageWriteOptions, opts...) }
}
