package connector

import (
	"bytes"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/ztfbridge/ztfbridge/internal/core/alert"
	"github.com/ztfbridge/ztfbridge/internal/core/alert/alerttest"
	"github.com/ztfbridge/ztfbridge/internal/core/attr"
	"github.com/ztfbridge/ztfbridge/internal/core/message"
)

// TestClassify runs every shared ZTF packet through classify: real
// one-record packets become alerts with their ids as attributes, broken
// ones and multi-record containers become dead letters with a reason, and
// every message keeps its Kafka coordinates and (below the size limit) its
// bytes unchanged.
func TestClassify(t *testing.T) {
	dec := alert.NewDecoder()
	ts := time.UnixMilli(1_700_000_000_123)
	seen := map[fate]int{}
	for i, e := range alerttest.Manifest(t) {
		b := e.Read(t)
		m := &sarama.ConsumerMessage{Topic: "ztf_20240101_programid1", Partition: 3, Offset: int64(i), Timestamp: ts, Value: b}
		o := classify(m, dec, 10<<20, nil)
		seen[o.fate]++

		want, reason := toAlerts, message.Reason("")
		switch {
		case e.Broken():
			want, reason = toDeadLetter, message.Undecodable
		case e.Records != 1:
			want, reason = toDeadLetter, message.NotOneAlert
		case e.Candids[0] <= 0 || len(e.ObjectIDs) == 0: // pre-survey simulations
			want, reason = toDeadLetter, message.InvalidIDs
		}
		if o.fate != want {
			t.Errorf("%s (%s, %d records): fate %d, want %d (error %q)", e.Path, e.Class, e.Records, o.fate, want, o.msg.Attributes[attr.Error])
			continue
		}
		if !bytes.Equal(o.msg.Data, b) {
			t.Errorf("%s: data changed", e.Path)
		}
		k, err := attr.ParseKafka(o.msg.Attributes)
		if err != nil || k.Topic != m.Topic || k.Partition != 3 || k.Offset != int64(i) || !k.Timestamp.Equal(ts) {
			t.Errorf("%s: kafka attributes %+v, %v", e.Path, k, err)
		}
		switch want {
		case toAlerts:
			a := o.msg.Attributes
			objectID := e.ObjectIDs[0]
			if a[attr.Candid] != strconv.FormatInt(e.Candids[0], 10) || a[attr.ObjectID] != objectID ||
				a[attr.SchemaVsn] != e.SchemaVsn || (e.Night != "" && a[attr.Night] != strings.ReplaceAll(e.Night, "-", "")) {
				t.Errorf("%s: attributes %v, want candid %d objectId %q schemavsn %q night %s",
					e.Path, a, e.Candids[0], objectID, e.SchemaVsn, e.Night)
			}
			if _, ok := a[attr.Error]; ok {
				t.Errorf("%s: alert has an error attribute", e.Path)
			}
		case toDeadLetter:
			if o.reason != reason || o.msg.Attributes[attr.Reason] != string(reason) || !strings.HasPrefix(o.msg.Attributes[attr.Error], string(reason)+": ") {
				t.Errorf("%s: reason %q, error attribute %q, want reason %s", e.Path, o.reason, o.msg.Attributes[attr.Error], reason)
			}
		}
	}
	if seen[toAlerts] == 0 || seen[toDeadLetter] == 0 {
		t.Errorf("fates %v: want both alerts and dead letters among the shared packets", seen)
	}
}

func TestClassifyLimits(t *testing.T) {
	real := alerttest.Real(t, "4.")[0]
	dec := alert.NewDecoder()
	replay := newReplaySet(10, slog.New(slog.NewTextHandler(io.Discard, nil)))
	first := classify(&sarama.ConsumerMessage{Value: real}, dec, len(real), replay)
	if first.fate != toAlerts {
		t.Fatalf("fate %d, want an alert", first.fate)
	}
	replay.published(first.night, first.candid, nil)

	tests := []struct {
		name   string
		value  []byte
		max    int
		fate   fate
		reason message.Reason
	}{
		{"exactly at the limit", real, len(real), dropped, ""},
		{"one byte above the limit", real, len(real) - 1, toDeadLetter, message.TooLarge},
		{"empty message", nil, len(real), toDeadLetter, message.Undecodable},
		{"long error is cut to 1024 bytes", bytes.Repeat([]byte("x"), 5000), 1 << 20, toDeadLetter, message.Undecodable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := classify(&sarama.ConsumerMessage{Topic: "t", Offset: 7, Value: tt.value}, dec, tt.max, replay)
			if o.fate != tt.fate || o.reason != tt.reason {
				t.Fatalf("fate %d reason %q, want %d %q", o.fate, o.reason, tt.fate, tt.reason)
			}
			if e := o.msg.Attributes[attr.Error]; len(e) > message.MaxValueBytes {
				t.Errorf("error attribute of %d bytes", len(e))
			}
			if tt.reason == message.TooLarge && o.msg.Data != nil {
				t.Errorf("too large dead letter carries %d bytes of data", len(o.msg.Data))
			}
		})
	}
}

// FuzzClassify feeds the connector's classify random bytes and mutated
// real packets: it never panics, and whatever the message, the attributes
// it would publish are ones Pub/Sub accepts and its fate has a reason.
func FuzzClassify(f *testing.F) {
	alerttest.Seed(f)
	dec := alert.NewDecoder()
	f.Fuzz(func(t *testing.T, data []byte) {
		m := &sarama.ConsumerMessage{Topic: "ztf_20240715_programid1", Partition: 15, Offset: 1 << 40, Timestamp: time.UnixMilli(1), Value: data}
		o := classify(m, dec, 1<<20, nil)
		if err := message.ValidAttributes(o.msg.Attributes); err != nil {
			t.Fatalf("fate %d: %v", o.fate, err)
		}
		switch o.fate {
		case toAlerts:
			if o.candid <= 0 || o.msg.Attributes[attr.ObjectID] == "" || !bytes.Equal(o.msg.Data, data) {
				t.Fatalf("alert with candid %d, objectId %q", o.candid, o.msg.Attributes[attr.ObjectID])
			}
		case toDeadLetter:
			if message.ReasonOf(o.msg.Attributes) != o.reason || o.reason == "" {
				t.Fatalf("dead letter reason %q, attributes %v", o.reason, o.msg.Attributes)
			}
		default:
			t.Fatalf("fate %d without --dedup-replay", o.fate)
		}
	})
}
