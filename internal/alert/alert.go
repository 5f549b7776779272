// Package alert decodes ZTF alert packets.
//
// CONTRACT STUB written by the lead so other parts can compile against it.
// The owner of issue 2 replaces the bodies (and may add fields and methods),
// but keeps these names and signatures.
package alert

import (
	"errors"
	"time"
)

// Alert is one decoded ZTF alert.
type Alert struct {
	Candid        int64     // candidate id; exact, up to ~3.4e18
	ObjectID      string    // objectId, e.g. ZTF21abiuvdk
	SchemaVsn     string    // the record's schemavsn field, e.g. "4.02"
	SchemaVersion string    // the writer schema's "version" attribute in the container header
	Night         time.Time // UTC date of the night the alert was observed
	Candidate     Candidate
	// PrvCandidates, FPHists, Cutouts ... (owner of issue 2)
}

// Candidate is the alert's candidate record (owner of issue 2 completes it).
type Candidate struct {
	JD  float64
	RA  float64
	Dec float64
}

// Topic returns the ZTF topic of the alert's night, ztf_YYYYMMDD_programid1.
func (a *Alert) Topic() string { return "" }

// Decoder decodes alert packets. It is safe for concurrent use and parses
// each distinct writer schema once.
type Decoder struct{}

// NewDecoder returns a Decoder with an empty schema cache.
func NewDecoder() *Decoder { return &Decoder{} }

// Decode decodes every record of one Avro object container file.
func (d *Decoder) Decode(b []byte) ([]*Alert, error) { return nil, errors.New("not implemented") }
