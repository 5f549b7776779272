// Package message is the contract between ztfbridge's three stages: what a
// Kafka message must be to travel as an alert, the Pub/Sub attributes it
// carries, and how a message that is not an alert is described.
//
// The connector, the function and the loader each run [Check] on the bytes
// they receive, so that they accept and refuse the same messages for the
// same [Reason] (the loader, which decodes the alert whole, also refuses
// the damage that Check does not read; see [Check]). A refused message is
// never dropped: the connector and the loader publish it to the dead-letter topic, the function keeps it under
// its quarantine prefix, each with [Refusal.SetAttributes]'s attributes.
//
// Every attribute map this package writes is one Pub/Sub accepts: at most
// [MaxAttributes] attributes, keys of at most [MaxKeyBytes] and values of at
// most [MaxValueBytes] bytes, all valid UTF-8. The identifiers an alert is
// named and deduplicated by (candid, objectId, schemavsn) are carried
// exactly or the message is refused with [InvalidIDs]; only free text (the
// error detail) is shortened, on a character boundary.
//
// Example checks a synthetic alert and bytes that are not one, and builds
// the attributes of each: the alert's, and the dead letter's.
package message

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ztfbridge/ztfbridge/internal/core/alert"
	"github.com/ztfbridge/ztfbridge/internal/core/attr"
	"github.com/ztfbridge/ztfbridge/internal/core/night"
)

// Pub/Sub's limits on message attributes.
const (
	MaxAttributes = 100
	MaxKeyBytes   = 256
	MaxValueBytes = 1024
)

// Reason is why a message is not an alert, one word from a fixed list. It
// is the value of the attr.Reason attribute of a dead letter and the label
// of every dead-letter metric.
type Reason string

// The reasons, for every stage.
const (
	// Undecodable: not an Avro object container of ZTF alerts (empty,
	// random bytes, truncated, corrupt, or Avro that is not an alert).
	Undecodable Reason = "undecodable"
	// NotOneAlert: a container of zero or several records.
	NotOneAlert Reason = "not_one_alert"
	// InvalidIDs: an alert whose identifiers cannot name it: candid not
	// positive or not candidate.candid, empty objectId, or an identifier
	// that is not valid UTF-8 or too long for an attribute.
	InvalidIDs Reason = "invalid_ids"
	// TooLarge: larger than a Pub/Sub message may be; the dead letter
	// carries the Kafka coordinates and no data.
	TooLarge Reason = "too_large"
	// PublishRefused: Pub/Sub refused the message on its own with an error
	// that retrying cannot fix.
	PublishRefused Reason = "publish_refused"
	// Unencodable: the loader cannot build the alert's row.
	Unencodable Reason = "unencodable"
	// Rejected: BigQuery refused the alert's row, naming it.
	Rejected Reason = "rejected"
)

// Reasons returns every Reason, in the order above.
func Reasons() []Reason {
	return []Reason{Undecodable, NotOneAlert, InvalidIDs, TooLarge, PublishRefused, Unencodable, Rejected}
}

// Refusal says why a message is not stored as an alert. It is an error.
type Refusal struct {
	Reason Reason
	Detail string // one line, for people
}

// Refuse returns a Refusal for reason with a detail formatted as by
// fmt.Sprintf.
func Refuse(reason Reason, format string, args ...any) *Refusal {
	return &Refusal{Reason: reason, Detail: fmt.Sprintf(format, args...)}
}

func (r *Refusal) Error() string { return string(r.Reason) + ": " + r.Detail }

// SetAttributes marks the attributes of a dead letter: attr.Reason is the
// reason and attr.Error the whole text, shortened to MaxValueBytes on a
// character boundary. Other attributes (the Kafka coordinates) are kept.
func (r *Refusal) SetAttributes(m map[string]string) {
	m[attr.Reason] = string(r.Reason)
	m[attr.Error] = Truncate(r.Error(), MaxValueBytes)
}

// carried are the attributes of a message that its dead letter keeps:
// where it came from in Kafka and the ids the contract set on it.
var carried = []string{attr.KafkaTopic, attr.KafkaPartition, attr.KafkaOffset, attr.KafkaTimestamp,
	attr.Candid, attr.ObjectID, attr.SchemaVsn, attr.Night}

// Attributes returns the attributes of the dead letter of a message whose
// attributes were orig: the Kafka coordinates and ids of orig, and r's.
// Other attributes of orig are left out, so that the dead letter stays
// within Pub/Sub's limits (and GCS's 8 KiB of object metadata) whatever
// orig held.
func (r *Refusal) Attributes(orig map[string]string) map[string]string {
	m := make(map[string]string, len(carried)+2)
	for _, k := range carried {
		if v, ok := orig[k]; ok {
			m[k] = Truncate(v, MaxValueBytes)
		}
	}
	r.SetAttributes(m)
	return m
}

// ReasonOf returns the reason of a dead letter from its attributes: the
// attr.Reason attribute, or for a dead letter written before it existed,
// the word before the first ':' of attr.Error. It returns "" for a message
// that is not a dead letter.
func ReasonOf(m map[string]string) Reason {
	if r, ok := m[attr.Reason]; ok {
		return Reason(r)
	}
	e := m[attr.Error]
	for i := range len(e) {
		if e[i] == ':' {
			return Reason(e[:i])
		}
	}
	return Reason(e)
}

// Alert is what the contract reads from a valid alert packet: the
// identifiers that name it and the attributes it travels with.
type Alert struct {
	Candid    int64
	ObjectID  string
	SchemaVsn string
	// Night is the UTC date of the alert's night (candidate.nid, else
	// candidate.jd); zero for packets that have neither, such as
	// pre-survey simulations.
	Night   night.Night
	RA, Dec float64 // candidate.ra and .dec, degrees
}

// Check reads the identifiers of one Kafka message's bytes without
// decoding its histories and cutouts, and says whether it is an alert:
// exactly one record, candid > 0 and equal to candidate.candid, a
// non-empty objectId, and identifiers that Pub/Sub attributes carry
// exactly. Anything else is refused with a *Refusal.
//
// Check reads the record only up to its candidate (see
// alert.Decoder.Summarize): a truncated or mis-framed container is
// refused, but damage after the candidate inside a well-framed container
// (garbage in the histories or cutouts) is not seen. Such a packet passes
// the connector and the function, which archives its bytes; the loader's
// full decode refuses it as Undecodable.
func Check(dec *alert.Decoder, data []byte) (Alert, *Refusal) {
	if len(data) == 0 {
		return Alert{}, Refuse(Undecodable, "empty message")
	}
	sums, err := dec.Summarize(data)
	if err != nil {
		return Alert{}, &Refusal{Reason: Undecodable, Detail: err.Error()}
	}
	if len(sums) != 1 {
		return Alert{}, Refuse(NotOneAlert, "the container holds %d alerts, want 1", len(sums))
	}
	s := sums[0]
	switch {
	case s.Candid <= 0:
		return Alert{}, Refuse(InvalidIDs, "candid %d is not positive", s.Candid)
	case s.Candid != s.CandidateCandid:
		return Alert{}, Refuse(InvalidIDs, "candid %d differs from candidate.candid %d", s.Candid, s.CandidateCandid)
	case s.ObjectID == "":
		return Alert{}, Refuse(InvalidIDs, "empty objectId")
	}
	for _, id := range []struct{ name, value string }{{attr.ObjectID, s.ObjectID}, {attr.SchemaVsn, s.SchemaVsn}} {
		if err := fitsAttribute(id.value); err != nil {
			return Alert{}, Refuse(InvalidIDs, "%s %s", id.name, err)
		}
	}
	return Alert{Candid: s.Candid, ObjectID: s.ObjectID, SchemaVsn: s.SchemaVsn, Night: s.Night, RA: s.RA, Dec: s.Dec}, nil
}

// ValidAttributes reports why Pub/Sub would refuse m as a message's
// attributes, or nil: more than MaxAttributes, an empty key or one longer
// than MaxKeyBytes, a value longer than MaxValueBytes, or a key or value
// that is not valid UTF-8.
func ValidAttributes(m map[string]string) error {
	if len(m) > MaxAttributes {
		return fmt.Errorf("%d attributes, more than %d", len(m), MaxAttributes)
	}
	for k, v := range m {
		switch {
		case k == "" || len(k) > MaxKeyBytes || !utf8.ValidString(k):
			return fmt.Errorf("attribute key %q: empty, longer than %d bytes or not UTF-8", k, MaxKeyBytes)
		case len(v) > MaxValueBytes || !utf8.ValidString(v):
			return fmt.Errorf("attribute %s: value of %d bytes longer than %d or not UTF-8", k, len(v), MaxValueBytes)
		}
	}
	return nil
}

// fitsAttribute says why s cannot be an attribute value unchanged.
func fitsAttribute(s string) error {
	switch {
	case !utf8.ValidString(s):
		return errors.New("is not valid UTF-8")
	case len(s) > MaxValueBytes:
		return fmt.Errorf("of %d bytes is longer than an attribute's %d", len(s), MaxValueBytes)
	}
	return nil
}

// SetAttributes writes a's attributes into m: candid, objectId, schemavsn
// and, when the packet has one, night.
func (a Alert) SetAttributes(m map[string]string) {
	m[attr.Candid] = strconv.FormatInt(a.Candid, 10)
	m[attr.ObjectID] = a.ObjectID
	m[attr.SchemaVsn] = a.SchemaVsn
	if !a.Night.IsZero() {
		m[attr.Night] = a.Night.String()
	}
}

// NightTopic returns the ZTF topic of the alert's night and the night: the
// kafka.topic attribute of m
// when it names a night (ztf_YYYYMMDD_programid1), else the topic of the
// packet's own night. It never returns a raw attribute that is not a
// night's topic, so it is safe in an object name.
func (a Alert) NightTopic(m map[string]string) (topic string, n night.Night) {
	if t, err := night.FromTopic(m[attr.KafkaTopic]); err == nil {
		return t.Topic(), t
	}
	return a.Night.Topic(), a.Night
}

// Truncate returns s shortened to at most n bytes on a character boundary,
// with every invalid UTF-8 byte replaced by U+FFFD first.
func Truncate(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// IsKafkaTopic reports whether s is a legal Kafka topic name: 1 to 249 of
// the characters a-z A-Z 0-9 . _ -, and neither "." nor "..". Such a name
// is safe as one segment of an object name.
func IsKafkaTopic(s string) bool {
	if s == "" || len(s) > 249 || s == "." || s == ".." {
		return false
	}
	for _, c := range []byte(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}
