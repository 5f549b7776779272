package night

import (
	"testing"
	"time"
)

func TestTopicRoundTrip(t *testing.T) {
	tests := []struct {
		date  time.Time
		topic string
	}{
		{time.Date(2020, 12, 27, 23, 59, 0, 0, time.UTC), "ztf_20201227_programid1"},
		{time.Date(2024, 7, 15, 4, 0, 0, 0, time.UTC), "ztf_20240715_programid1"},
		// A local time just after midnight in California is still the UTC date.
		{time.Date(2021, 7, 1, 1, 0, 0, 0, time.FixedZone("PDT", -7*3600)), "ztf_20210701_programid1"},
	}
	for _, tt := range tests {
		if got := Topic(tt.date); got != tt.topic {
			t.Errorf("Topic(%v) = %q, want %q", tt.date, got, tt.topic)
		}
		back, err := FromTopic(tt.topic)
		if err != nil {
			t.Fatalf("FromTopic(%q): %v", tt.topic, err)
		}
		if !back.Equal(Date(tt.date)) {
			t.Errorf("FromTopic(%q) = %v, want %v", tt.topic, back, Date(tt.date))
		}
	}
}

func TestFromTopicRejects(t *testing.T) {
	for _, topic := range []string{"", "ztf_2020122_programid1", "ztf_20201227_programid2", "lsst_20201227_programid1", "ztf_2020ab27_programid1"} {
		if _, err := FromTopic(topic); err == nil {
			t.Errorf("FromTopic(%q): no error", topic)
		}
	}
}

func TestNID(t *testing.T) {
	tests := []struct {
		nid  int
		date string
	}{
		{0, "20170101"},
		{1292, "20200716"},
		{2752 - 1, "20240714"},
	}
	for _, tt := range tests {
		if got := FromNID(tt.nid).Format(Layout); got != tt.date {
			t.Errorf("FromNID(%d) = %s, want %s", tt.nid, got, tt.date)
		}
		if got := NID(FromNID(tt.nid)); got != tt.nid {
			t.Errorf("NID(FromNID(%d)) = %d", tt.nid, got)
		}
	}
}

func TestFromJD(t *testing.T) {
	// 2459396.7 is 2021-07-01 04:48 UTC.
	if got := FromJD(2459396.7).Format(Layout); got != "20210701" {
		t.Errorf("FromJD = %s, want 20210701", got)
	}
}

func TestObjectName(t *testing.T) {
	got := ObjectName("ztf_20240715_programid1", 2752190653015010019)
	if want := "ztf_20240715_programid1_2752190653015010019.avro"; got != want {
		t.Errorf("ObjectName = %q, want %q", got, want)
	}
	if got, want := ObjectGlob(time.Date(2024, 7, 15, 0, 0, 0, 0, time.UTC)), "ztf_20240715_programid1_*.avro"; got != want {
		t.Errorf("ObjectGlob = %q, want %q", got, want)
	}
}

func TestObjectCandid(t *testing.T) {
	const topic = "ztf_20240715_programid1"
	for _, tc := range []struct {
		name string
		want int64
		ok   bool
	}{
		{ObjectName(topic, 2752190655615010016), 2752190655615010016, true},
		{"ztf_20240716_programid1_2752190655615010016.avro", 0, false},
		{topic + "_2752190655615010016.bin", 0, false},
		{topic + "_-5.avro", 0, false},
		{topic + "_x.avro", 0, false},
	} {
		if got, ok := ObjectCandid(topic, tc.name); got != tc.want || ok != tc.ok {
			t.Errorf("ObjectCandid(%q) = %d, %v; want %d, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}
