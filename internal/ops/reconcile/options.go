package reconcile

import (
	"fmt"
	"log/slog"

	"google.golang.org/api/option"
)

// An Option gives Run and Repair a dependency that no flag sets: where
// they log, how they reach Google.
type Option func(*deps)

// deps are the dependencies of Run and Repair.
type deps struct {
	log             *slog.Logger
	pubsubOptions   []option.ClientOption
	storageOptions  []option.ClientOption
	bigQueryOptions []option.ClientOption
}

// WithLogger sends progress and warnings to l (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(d *deps) { d.log = l } }

// WithPubSubOptions adds opts to those of the Pub/Sub client of a repair,
// which also honours PUBSUB_EMULATOR_HOST.
func WithPubSubOptions(opts ...option.ClientOption) Option {
	return func(d *deps) { d.pubsubOptions = append(d.pubsubOptions, opts...) }
}

// WithStorageOptions adds opts to those of the storage client, which also
// honours STORAGE_EMULATOR_HOST.
func WithStorageOptions(opts ...option.ClientOption) Option {
	return func(d *deps) { d.storageOptions = append(d.storageOptions, opts...) }
}

// WithBigQueryOptions adds opts to those of the BigQuery client, after the
// ones Stages.BigQueryAPI implies.
func WithBigQueryOptions(opts ...option.ClientOption) Option {
	return func(d *deps) { d.bigQueryOptions = append(d.bigQueryOptions, opts...) }
}

// job is one Run or Repair: its settings, validated, and its dependencies.
type job struct {
	Config
	deps
}

func newJob(cfg Config, opts []Option) (job, error) {
	if err := cfg.Validate(); err != nil {
		return job{}, fmt.Errorf("reconcile: %w", err)
	}
	j := job{Config: cfg, deps: deps{log: slog.Default()}}
	for _, o := range opts {
		o(&j.deps)
	}
	return j, nil
}
