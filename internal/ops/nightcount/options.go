package nightcount

import "google.golang.org/api/option"

// An Option gives Count a dependency that no flag sets: how it reaches
// Google.
type Option func(*deps)

// deps are the dependencies of a count.
type deps struct {
	storageOptions  []option.ClientOption
	bigQueryOptions []option.ClientOption
}

// WithStorageOptions adds opts (credentials, endpoints) to those of the
// storage client, which also honours STORAGE_EMULATOR_HOST.
func WithStorageOptions(opts ...option.ClientOption) Option {
	return func(d *deps) { d.storageOptions = append(d.storageOptions, opts...) }
}

// WithBigQueryOptions adds opts to those of the BigQuery client, after the
// ones Config.BigQueryAPI implies.
func WithBigQueryOptions(opts ...option.ClientOption) Option {
	return func(d *deps) { d.bigQueryOptions = append(d.bigQueryOptions, opts...) }
}
