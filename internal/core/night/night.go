// Package night names ZTF observing nights and the things keyed by them.
//
// A [Night] is a UTC calendar date. ZTF publishes one Kafka topic per night,
// ztf_YYYYMMDD_programid1 ([Night.Topic]); alerts are stored in GCS as
// ztf_YYYYMMDD_programid1_<candid>.avro ([ObjectName]) so that a glob over one
// night's prefix counts it ([Night.ObjectGlob]).
//
//	n, err := night.Parse("20240715")   // or night.Of(time.Now()), night.FromTopic(topic)
//	n.String()                          // "20240715"
//	n.Topic()                           // "ztf_20240715_programid1"
//	fs.TextVar(&n, "night", n, "YYYYMMDD") // a flag
package night

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
	"time"

	"cloud.google.com/go/civil"
)

// Layout is the date layout used in topic and object names.
const Layout = "20060102"

// epoch is day zero of ZTF's night id (candidate.nid).
var epoch = time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC)

const (
	topicPrefix = "ztf_"
	topicSuffix = "_programid1"
)

// Night is one observing night: a UTC calendar date. Nights are comparable
// and can be map keys. The zero Night is 0001-01-01, the date of the zero
// time.Time, which stands for no night ([Night.IsZero]). A Night marshals as
// text (flags, JSON) in the YYYYMMDD form of [Night.String].
type Night struct {
	days int // since 0001-01-01
}

// day0 is the date of the zero Night.
var day0 = civil.Date{Year: 1, Month: time.January, Day: 1}

// Of returns the night that contains t (its UTC date).
func Of(t time.Time) Night {
	return Night{civil.DateOf(t.UTC()).DaysSince(day0)}
}

// Parse parses a night written as YYYYMMDD.
func Parse(s string) (Night, error) {
	t, err := time.Parse(Layout, s)
	if err != nil {
		return Night{}, fmt.Errorf("night %q: want YYYYMMDD: %w", s, err)
	}
	return Of(t), nil
}

// FromTopic returns the night of a topic named ztf_YYYYMMDD_programid1.
func FromTopic(topic string) (Night, error) {
	s, ok := strings.CutPrefix(topic, topicPrefix)
	if ok {
		s, ok = strings.CutSuffix(s, topicSuffix)
	}
	if !ok || len(s) != len(Layout) {
		return Night{}, fmt.Errorf("topic %q is not of the form ztf_YYYYMMDD_programid1", topic)
	}
	return Parse(s)
}

// FromNID returns the night of a ZTF night id (days since 2017-01-01).
func FromNID(nid int) Night {
	return Of(epoch).AddDays(nid)
}

// FromJD returns the night that contains a Julian date.
func FromJD(jd float64) Night {
	const unixEpochJD = 2440587.5
	sec := (jd - unixEpochJD) * 86400
	return Of(time.Unix(int64(sec), 0))
}

// IsZero reports whether n is the zero Night, no night.
func (n Night) IsZero() bool { return n == Night{} }

// String returns the night as YYYYMMDD.
func (n Night) String() string { return n.Time().Format(Layout) }

// Topic returns the night's public ZTF topic, ztf_YYYYMMDD_programid1.
func (n Night) Topic() string { return topicPrefix + n.String() + topicSuffix }

// ObjectGlob returns the glob that matches every alert object of the night,
// as used by gsutil ls and gcloud storage ls.
func (n Night) ObjectGlob() string { return n.Topic() + "_*.avro" }

// NID returns the ZTF night id of the night (days since 2017-01-01).
func (n Night) NID() int { return n.days - Of(epoch).days }

// Time returns the start of the night's UTC date.
func (n Night) Time() time.Time { return n.Civil().In(time.UTC) }

// Civil returns the night as a civil date, the value of a BigQuery DATE.
func (n Night) Civil() civil.Date { return day0.AddDays(n.days) }

// AddDays returns the night days after n (before, when days is negative).
func (n Night) AddDays(days int) Night { return Night{n.days + days} }

// Compare returns -1, 0 or +1 as n is before, equal to or after m.
func (n Night) Compare(m Night) int { return cmp.Compare(n.days, m.days) }

// MarshalText writes the night as YYYYMMDD, and the zero Night as "", so
// that an empty flag or JSON field means no night.
func (n Night) MarshalText() ([]byte, error) {
	if n.IsZero() {
		return nil, nil
	}
	return []byte(n.String()), nil
}

// UnmarshalText reads a night written as YYYYMMDD; "" reads as the zero
// Night.
func (n *Night) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*n = Night{}
		return nil
	}
	p, err := Parse(string(b))
	if err != nil {
		return err
	}
	*n = p
	return nil
}

// ObjectName returns the GCS object name of an alert: <topic>_<candid>.avro.
func ObjectName(topic string, candid int64) string {
	return topic + "_" + strconv.FormatInt(candid, 10) + ".avro"
}

// ObjectCandid reads the candid back from an object name that ObjectName
// made for topic; false when name is not one.
func ObjectCandid(topic, name string) (int64, bool) {
	s, ok := strings.CutPrefix(name, topic+"_")
	if !ok {
		return 0, false
	}
	if s, ok = strings.CutSuffix(s, ".avro"); !ok {
		return 0, false
	}
	c, err := strconv.ParseInt(s, 10, 64)
	if err != nil || c <= 0 {
		return 0, false
	}
	return c, true
}
