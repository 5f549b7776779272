package message_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ztfbridge/ztfbridge/internal/core/alert"
	"github.com/ztfbridge/ztfbridge/internal/core/alert/alerttest"
	"github.com/ztfbridge/ztfbridge/internal/core/attr"
	"github.com/ztfbridge/ztfbridge/internal/core/message"
	"github.com/ztfbridge/ztfbridge/internal/core/night"
	"github.com/ztfbridge/ztfbridge/internal/dev/synth"
)

var testNight = night.Of(time.Date(2024, 7, 15, 0, 0, 0, 0, time.UTC))

func TestCheckPoison(t *testing.T) {
	_, poison, err := synth.GeneratePoisoned(synth.Config{Night: testNight, Seed: 7}, 0)
	if err != nil {
		t.Fatal(err)
	}
	dec := alert.NewDecoder()
	for _, p := range poison {
		t.Run(p.Name, func(t *testing.T) {
			a, r := message.Check(dec, p.Data)
			if r == nil {
				t.Fatalf("Check accepted it as candid %d objectId %q", a.Candid, a.ObjectID)
			}
			if string(r.Reason) != p.Reason {
				t.Errorf("reason %s (%s), want %s", r.Reason, r.Detail, p.Reason)
			}
			attrs := map[string]string{}
			r.SetAttributes(attrs)
			checkAttributes(t, attrs)
			if got := message.ReasonOf(attrs); got != r.Reason {
				t.Errorf("ReasonOf = %q, want %q", got, r.Reason)
			}
		})
	}
}

func TestCheckManifest(t *testing.T) {
	dec := alert.NewDecoder()
	for _, e := range alerttest.Manifest(t) {
		t.Run(e.Path, func(t *testing.T) {
			a, r := message.Check(dec, e.Read(t))
			switch {
			case e.Broken():
				if r == nil {
					t.Fatalf("broken file (%s) accepted as candid %d", e.Class, a.Candid)
				}
				if r.Reason != message.Undecodable {
					t.Errorf("reason %s, want %s", r.Reason, message.Undecodable)
				}
			case e.Records != 1:
				if r == nil || r.Reason != message.NotOneAlert {
					t.Fatalf("container of %d records: refusal %v, want %s", e.Records, r, message.NotOneAlert)
				}
			case e.Candids[0] <= 0: // pre-survey simulations
				if r == nil || r.Reason != message.InvalidIDs {
					t.Fatalf("candid %d: refusal %v, want %s", e.Candids[0], r, message.InvalidIDs)
				}
			case r != nil:
				t.Fatalf("refused a good packet (%s): %v", e.Class, r)
			default:
				if a.Candid != e.Candids[0] || a.ObjectID != e.ObjectIDs[0] || a.SchemaVsn != e.SchemaVsn {
					t.Errorf("ids candid=%d objectId=%q schemavsn=%q, want %d %q %q", a.Candid, a.ObjectID, a.SchemaVsn, e.Candids[0], e.ObjectIDs[0], e.SchemaVsn)
				}
				attrs := map[string]string{}
				a.SetAttributes(attrs)
				checkAttributes(t, attrs)
			}
		})
	}
}

func TestNightTopic(t *testing.T) {
	a := message.Alert{Candid: 1, ObjectID: "ZTF24aaaaaaa", Night: testNight}
	for _, tc := range []struct {
		topic string
		want  string
	}{
		{"ztf_20240716_programid1", "ztf_20240716_programid1"},
		{"", "ztf_20240715_programid1"},
		{"../../etc", "ztf_20240715_programid1"},
		{"ztf_2024/../_programid1", "ztf_20240715_programid1"},
		{"ztf_20241399_programid1", "ztf_20240715_programid1"},
		{"ztf_20240716_programid1/x", "ztf_20240715_programid1"},
	} {
		got, n := a.NightTopic(map[string]string{attr.KafkaTopic: tc.topic})
		if got != tc.want || n.IsZero() {
			t.Errorf("NightTopic(%q) = %q, %v; want %q", tc.topic, got, n, tc.want)
		}
	}
}

func TestTruncate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"abc", 5, "abc"},
		{"abcdef", 3, "abc"},
		{"aé", 2, "a"}, // é is two bytes: no half character
		{"a版", 3, "a"}, // three-byte character
		{"a\xffb", 10, "a\uFFFDb"},
		{strings.Repeat("é", 600), 1024, strings.Repeat("é", 512)},
	} {
		if got := message.Truncate(tc.in, tc.n); got != tc.want {
			t.Errorf("Truncate(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}

func TestReasonOf(t *testing.T) {
	for _, tc := range []struct {
		attrs map[string]string
		want  message.Reason
	}{
		{map[string]string{attr.Reason: "too_large", attr.Error: "too_large: 12 MB"}, message.TooLarge},
		{map[string]string{attr.Error: "undecodable: not an Avro object container file"}, message.Undecodable},
		{map[string]string{attr.Candid: "1"}, ""},
	} {
		if got := message.ReasonOf(tc.attrs); got != tc.want {
			t.Errorf("ReasonOf(%v) = %q, want %q", tc.attrs, got, tc.want)
		}
	}
}

// FuzzCheck feeds Check random bytes and mutated real packets: it never
// panics, and every attribute map it leads to is one Pub/Sub accepts.
func FuzzCheck(f *testing.F) {
	alerttest.Seed(f)
	dec := alert.NewDecoder()
	f.Fuzz(func(t *testing.T, data []byte) {
		attrs := map[string]string{attr.KafkaTopic: "ztf_20240715_programid1"}
		a, r := message.Check(dec, data)
		if r != nil {
			r.SetAttributes(attrs)
		} else {
			a.SetAttributes(attrs)
			if a.Candid <= 0 || a.ObjectID == "" {
				t.Fatalf("accepted ids candid=%d objectId=%q", a.Candid, a.ObjectID)
			}
			if topic, _ := a.NightTopic(attrs); strings.ContainsAny(topic, "/\\") || strings.Contains(topic, "..") {
				t.Fatalf("unsafe topic %q", topic)
			}
		}
		checkAttributes(t, attrs)
	})
}

// checkAttributes fails t unless Pub/Sub would take attrs.
func checkAttributes(t *testing.T, attrs map[string]string) {
	t.Helper()
	if err := message.ValidAttributes(attrs); err != nil {
		t.Error(err)
	}
}

func TestValidAttributes(t *testing.T) {
	many := map[string]string{}
	for i := range 101 {
		many[strings.Repeat("k", i+1)] = "v"
	}
	for _, tc := range []struct {
		name  string
		attrs map[string]string
		ok    bool
	}{
		{"contract attributes", map[string]string{attr.Candid: "1", attr.ObjectID: "ZTF24aaaaaaa"}, true},
		{"value at the limit", map[string]string{"k": strings.Repeat("v", 1024)}, true},
		{"value over the limit", map[string]string{"k": strings.Repeat("v", 1025)}, false},
		{"key over the limit", map[string]string{strings.Repeat("k", 257): "v"}, false},
		{"empty key", map[string]string{"": "v"}, false},
		{"invalid UTF-8 value", map[string]string{"k": "\xff"}, false},
		{"101 attributes", many, false},
	} {
		if err := message.ValidAttributes(tc.attrs); (err == nil) != tc.ok {
			t.Errorf("%s: ValidAttributes = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}
