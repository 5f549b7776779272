package reconcile

import (
	"fmt"

	"github.com/ztfbridge/ztfbridge/internal/core/deps"
)

// job is one Run or Repair: its settings, validated, and its dependencies
// (the logger and the Pub/Sub, storage and BigQuery options).
type job struct {
	Config
	deps.Set
}

func newJob(cfg Config, opts []deps.Option) (job, error) {
	if err := cfg.Validate(); err != nil {
		return job{}, fmt.Errorf("reconcile: %w", err)
	}
	return job{Config: cfg, Set: deps.New(opts...)}, nil
}
