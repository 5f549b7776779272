package functions

import (
	"log/slog"

	"google.golang.org/api/option"
)

// An Option gives New one of the Archiver's dependencies, which no flag
// or variable sets: where it logs, how it reaches Cloud Storage.
type Option func(*deps)

// deps are the dependencies of an Archiver.
type deps struct {
	log            *slog.Logger
	storageOptions []option.ClientOption
}

// WithLogger sends the Archiver's JSON logs to l (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(d *deps) { d.log = l } }

// WithStorageOptions adds opts to those of the storage client (none in
// production: it finds its credentials and honours STORAGE_EMULATOR_HOST).
// Later options win.
func WithStorageOptions(opts ...option.ClientOption) Option {
	return func(d *deps) { d.storageOptions = append(d.storageOptions, opts...) }
}
