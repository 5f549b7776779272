// Package night names ZTF observing nights and the things keyed by them.
//
// ZTF publishes one Kafka topic per night, named for the UTC date of the
// night: ztf_YYYYMMDD_programid1. Alerts are stored in GCS as
// ztf_YYYYMMDD_programid1_<candid>.avro so that a glob over one night's
// prefix counts it.
package night

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Layout is the date layout used in topic and object names.
const Layout = "20060102"

// epoch is day zero of ZTF's night id (candidate.nid).
var epoch = time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC)

const (
	topicPrefix = "ztf_"
	topicSuffix = "_programid1"
)

// Date truncates t to its UTC calendar date.
func Date(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Topic returns the public ZTF topic of the night that contains t (UTC).
func Topic(t time.Time) string {
	return topicPrefix + t.UTC().Format(Layout) + topicSuffix
}

// Parse parses a night written as YYYYMMDD.
func Parse(s string) (time.Time, error) {
	t, err := time.Parse(Layout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("night %q: want YYYYMMDD: %w", s, err)
	}
	return t, nil
}

// FromTopic returns the night of a topic named ztf_YYYYMMDD_programid1.
func FromTopic(topic string) (time.Time, error) {
	s, ok := strings.CutPrefix(topic, topicPrefix)
	if ok {
		s, ok = strings.CutSuffix(s, topicSuffix)
	}
	if !ok || len(s) != len(Layout) {
		return time.Time{}, fmt.Errorf("topic %q is not of the form ztf_YYYYMMDD_programid1", topic)
	}
	return Parse(s)
}

// FromNID returns the night of a ZTF night id (days since 2017-01-01).
func FromNID(nid int) time.Time {
	return epoch.AddDate(0, 0, nid)
}

// NID returns the ZTF night id of the night that contains t (UTC).
func NID(t time.Time) int {
	return int(Date(t).Sub(epoch) / (24 * time.Hour))
}

// FromJD returns the UTC date of a Julian date.
func FromJD(jd float64) time.Time {
	const unixEpochJD = 2440587.5
	sec := (jd - unixEpochJD) * 86400
	return Date(time.Unix(int64(sec), 0))
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

// ObjectGlob returns the glob that matches every alert object of a night,
// as used by gsutil ls and gcloud storage ls.
func ObjectGlob(t time.Time) string {
	return Topic(t) + "_*.avro"
}
