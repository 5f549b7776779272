package backfill

import (
	"log/slog"

	"github.com/ztfbridge/ztfbridge/connector"
)

// An Option gives Run a dependency: its logger, the connector's options.
type Option func(*deps)

type deps struct {
	log       *slog.Logger
	connector []connector.Option
}

// WithLogger sends the backfill's and its connector's logs to l (default
// slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(d *deps) { d.log = l } }

// WithConnectorOptions passes opts to connector.New, after WithLogger's.
func WithConnectorOptions(opts ...connector.Option) Option {
	return func(d *deps) { d.connector = append(d.connector, opts...) }
}
