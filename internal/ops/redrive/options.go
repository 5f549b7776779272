package redrive

import (
	"log/slog"

	"google.golang.org/api/option"
)

// An Option gives Run a dependency that no flag sets: where it logs, how
// it reaches Pub/Sub.
type Option func(*deps)

// deps are the dependencies of a run.
type deps struct {
	log           *slog.Logger
	pubsubOptions []option.ClientOption
}

// WithLogger sends the run's progress to l (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(d *deps) { d.log = l } }

// WithPubSubOptions adds opts (an emulator's endpoint, credentials) to
// those of the Pub/Sub client, which also honours PUBSUB_EMULATOR_HOST.
func WithPubSubOptions(opts ...option.ClientOption) Option {
	return func(d *deps) { d.pubsubOptions = append(d.pubsubOptions, opts...) }
}
