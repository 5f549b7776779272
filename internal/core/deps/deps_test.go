package deps_test

import (
	"log/slog"
	"testing"
	"time"

	"google.golang.org/api/option"

	"github.com/ztfbridge/ztfbridge/internal/core/deps"
)

func TestNew(t *testing.T) {
	quiet := slog.New(slog.DiscardHandler)
	epoch := time.Unix(0, 0)
	tests := []struct {
		name string
		opts []deps.Option
		want func(deps.Set) string // "" when the set is right
	}{
		{"defaults", nil, func(s deps.Set) string {
			if s.Logger != slog.Default() || s.Registry == nil || s.Now == nil || s.PubSub != nil {
				return "want slog.Default(), a registry, time.Now and no client options"
			}
			return ""
		}},
		{"given", []deps.Option{deps.WithLogger(quiet), deps.WithClock(func() time.Time { return epoch })}, func(s deps.Set) string {
			if s.Logger != quiet || !s.Now().Equal(epoch) {
				return "the logger or the clock given was not kept"
			}
			return ""
		}},
		{"client options add up, in order", []deps.Option{
			deps.WithStorageOptions(option.WithEndpoint("a")),
			deps.WithStorageOptions(option.WithEndpoint("b"), option.WithoutAuthentication()),
			deps.WithBigQueryOptions(option.WithEndpoint("c")),
		}, func(s deps.Set) string {
			if len(s.Storage) != 3 || len(s.BigQuery) != 1 || s.PubSub != nil || s.StorageWrite != nil {
				return "want 3 storage options, 1 BigQuery option and no others"
			}
			return ""
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if msg := tt.want(deps.New(tt.opts...)); msg != "" {
				t.Error(msg)
			}
		})
	}
}

// TestNewRegistriesApart: two sets without WithRegistry never share one, so
// that two components in one process do not register the same metric twice.
func TestNewRegistriesApart(t *testing.T) {
	a, b := deps.New(), deps.New()
	if a.Registry == b.Registry {
		t.Fatal("two sets share a registry")
	}
}
