// Package deps gives the components and operator tasks what no flag sets:
// where they log, where their metrics go, their clock and how they reach
// Google. It is to ztfbridge what google.golang.org/api/option is to the
// Google clients: one Option type that every New and Run takes.
//
//	c, err := connector.New(ctx, cfg,
//		deps.WithLogger(log),
//		deps.WithPubSubOptions(option.WithEndpoint(addr)))
//
// A component uses the dependencies it has and ignores the others; each
// New or Run says which it uses.
package deps

import (
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/api/option"

	"github.com/ztfbridge/ztfbridge/internal/core/metrics"
)

// Set is one component's dependencies, defaults filled by New.
type Set struct {
	Logger   *slog.Logger         // default slog.Default()
	Registry *prometheus.Registry // default a new metrics.NewRegistry()
	Now      func() time.Time     // default time.Now

	// The options of the Google clients, none by default: in production
	// they find their credentials, and the Pub/Sub and storage clients
	// honour PUBSUB_EMULATOR_HOST and STORAGE_EMULATOR_HOST.
	PubSub       []option.ClientOption
	Storage      []option.ClientOption
	BigQuery     []option.ClientOption // the REST client (queries, tables)
	StorageWrite []option.ClientOption // the Storage Write API's gRPC client
}

// An Option sets one dependency of a Set.
type Option func(*Set)

// New applies opts, in order, to the defaults.
func New(opts ...Option) Set {
	s := Set{Logger: slog.Default(), Now: time.Now}
	for _, o := range opts {
		o(&s)
	}
	if s.Registry == nil {
		s.Registry = metrics.NewRegistry()
	}
	return s
}

// WithLogger sends the JSON logs to l.
func WithLogger(l *slog.Logger) Option { return func(s *Set) { s.Logger = l } }

// WithRegistry registers the metrics in r; the command that runs the
// component serves it.
func WithRegistry(r *prometheus.Registry) Option { return func(s *Set) { s.Registry = r } }

// WithClock makes now the clock: what names tonight's topic, stamps the
// counts and a row's ingest_time.
func WithClock(now func() time.Time) Option { return func(s *Set) { s.Now = now } }

// WithPubSubOptions adds opts (an emulator's endpoint, credentials) to
// those of the Pub/Sub client. Later options win.
func WithPubSubOptions(opts ...option.ClientOption) Option {
	return func(s *Set) { s.PubSub = append(s.PubSub, opts...) }
}

// WithStorageOptions adds opts to those of the Cloud Storage client.
// Later options win.
func WithStorageOptions(opts ...option.ClientOption) Option {
	return func(s *Set) { s.Storage = append(s.Storage, opts...) }
}

// WithBigQueryOptions adds opts to those of the BigQuery REST client.
// Later options win.
func WithBigQueryOptions(opts ...option.ClientOption) Option {
	return func(s *Set) { s.BigQuery = append(s.BigQuery, opts...) }
}

// WithStorageWriteOptions adds opts to those of the Storage Write API
// client. Later options win.
func WithStorageWriteOptions(opts ...option.ClientOption) Option {
	return func(s *Set) { s.StorageWrite = append(s.StorageWrite, opts...) }
}
