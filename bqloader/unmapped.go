package bqloader

import (
	"log/slog"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ztfbridge/ztfbridge/internal/core/alert"
)

// maxLoggedSchemas bounds the writer schemas unmappedFields remembers
// having logged; beyond it the set starts again (a schema may then be
// logged twice).
const maxLoggedSchemas = 1024

// unmappedFields reports the fields of writer schemas that the table has
// no column for (alert.Schema.Unmapped: a broker's extra fields, fields of
// versions the Go definition does not know). Their values are not loaded;
// they are in the packet, which GCS keeps. Each alert adds its count to
// the unmapped_fields_total series of its schema, and the first alert of
// a schema logs the fields once.
type unmappedFields struct {
	log    *slog.Logger
	fields *prometheus.CounterVec

	mu     sync.Mutex
	logged map[string]bool // by schema id
}

func newUnmappedFields(log *slog.Logger, fields *prometheus.CounterVec) *unmappedFields {
	return &unmappedFields{log: log, fields: fields, logged: make(map[string]bool)}
}

// note counts the unmapped fields of a, and logs them on the first alert
// of its writer schema.
func (u *unmappedFields) note(a *alert.Alert) {
	s := a.Writer
	if s == nil || len(s.Unmapped) == 0 {
		return
	}
	u.fields.WithLabelValues(s.ID).Add(float64(len(s.Unmapped)))
	u.mu.Lock()
	first := !u.logged[s.ID]
	if first {
		if len(u.logged) >= maxLoggedSchemas {
			clear(u.logged)
		}
		u.logged[s.ID] = true
	}
	u.mu.Unlock()
	if first {
		u.log.Warn("writer schema has fields without a column: their values are not loaded, only the packet in GCS has them",
			"schema", s.ID, "schema_version", s.Version, "candid", a.Candid, "unmapped", len(s.Unmapped), "fields", s.Unmapped)
	}
}
