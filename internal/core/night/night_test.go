package night

import (
	"encoding/json"
	"flag"
	"io"
	"testing"
	"time"

	"cloud.google.com/go/civil"
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
		if got := Of(tt.date).Topic(); got != tt.topic {
			t.Errorf("Of(%v).Topic() = %q, want %q", tt.date, got, tt.topic)
		}
		back, err := FromTopic(tt.topic)
		if err != nil {
			t.Fatalf("FromTopic(%q): %v", tt.topic, err)
		}
		if back != Of(tt.date) {
			t.Errorf("FromTopic(%q) = %v, want %v", tt.topic, back, Of(tt.date))
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
		if got := FromNID(tt.nid).String(); got != tt.date {
			t.Errorf("FromNID(%d) = %s, want %s", tt.nid, got, tt.date)
		}
		if got := FromNID(tt.nid).NID(); got != tt.nid {
			t.Errorf("FromNID(%d).NID() = %d", tt.nid, got)
		}
	}
}

func TestFromJD(t *testing.T) {
	// 2459396.7 is 2021-07-01 04:48 UTC.
	if got := FromJD(2459396.7).String(); got != "20210701" {
		t.Errorf("FromJD = %s, want 20210701", got)
	}
}

func TestConversions(t *testing.T) {
	n, err := Parse("20240715")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		got, want any
	}{
		{"Time", n.Time(), time.Date(2024, 7, 15, 0, 0, 0, 0, time.UTC)},
		{"Civil", n.Civil(), civil.Date{Year: 2024, Month: 7, Day: 15}},
		{"AddDays(-15)", n.AddDays(-15).String(), "20240630"},
		{"AddDays(1).Compare", n.AddDays(1).Compare(n), 1},
		{"Compare", n.Compare(n), 0},
		{"zero String", Night{}.String(), "00010101"},
		{"zero is the zero time's", Of(time.Time{}), Night{}},
		{"zero IsZero", Night{}.IsZero(), true},
		{"IsZero", n.IsZero(), false},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}

func TestText(t *testing.T) {
	tests := []struct {
		arg     string
		want    string
		wantErr bool
	}{
		{"20240715", "20240715", false},
		{"", "", false},
		{"2024-07-15", "", true},
		{"20240231", "", true},
	}
	for _, tt := range tests {
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		var n Night
		fs.TextVar(&n, "night", FromNID(0), "night")
		err := fs.Parse([]string{"-night=" + tt.arg})
		if (err != nil) != tt.wantErr {
			t.Fatalf("-night=%q: err %v, want error %v", tt.arg, err, tt.wantErr)
		}
		if err != nil {
			continue
		}
		if b, _ := n.MarshalText(); string(b) != tt.want {
			t.Errorf("-night=%q: %q, want %q", tt.arg, b, tt.want)
		}
		b, err := json.Marshal(struct{ N Night }{n})
		if err != nil {
			t.Fatal(err)
		}
		if want := `{"N":"` + tt.want + `"}`; string(b) != want {
			t.Errorf("json %s, want %s", b, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	fuzzNights(f, Parse, func(t *testing.T, s string, n Night) {
		if n.String() != s {
			t.Fatalf("Parse(%q).String() = %q", s, n)
		}
		if back, err := FromTopic(n.Topic()); err != nil || back != n {
			t.Fatalf("FromTopic(%q) = %v, %v; want %v", n.Topic(), back, err, n)
		}
		if FromNID(n.NID()) != n {
			t.Fatalf("FromNID(%d) = %v, want %v", n.NID(), FromNID(n.NID()), n)
		}
	}, "20240715", "20170101", "", "2024071", "20240231", "99991231", "00000101")
}

func FuzzFromTopic(f *testing.F) {
	fuzzNights(f, FromTopic, func(t *testing.T, topic string, n Night) {
		if n.Topic() != topic {
			t.Fatalf("FromTopic(%q).Topic() = %q", topic, n.Topic())
		}
		var back Night
		text, _ := n.MarshalText()
		if err := back.UnmarshalText(text); err != nil || back != n {
			t.Fatalf("UnmarshalText(%q) = %v, %v; want %v", n, back, err, n)
		}
	}, "ztf_20240715_programid1", "ztf__programid1", "ztf_2024071a_programid1", "ztf_20241315_programid1")
}

// fuzzNights fuzzes parse from the seeds and runs check on every string it
// takes and the night it makes of it.
func fuzzNights(f *testing.F, parse func(string) (Night, error), check func(t *testing.T, s string, n Night), seeds ...string) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if n, err := parse(s); err == nil {
			check(t, s, n)
		}
	})
}

func TestObjectName(t *testing.T) {
	got := ObjectName("ztf_20240715_programid1", 2752190653015010019)
	if want := "ztf_20240715_programid1_2752190653015010019.avro"; got != want {
		t.Errorf("ObjectName = %q, want %q", got, want)
	}
	if got, want := Of(time.Date(2024, 7, 15, 0, 0, 0, 0, time.UTC)).ObjectGlob(), "ztf_20240715_programid1_*.avro"; got != want {
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
