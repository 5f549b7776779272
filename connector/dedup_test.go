package connector

import (
	"io"
	"log/slog"
	"runtime"
	"testing"

	"cloud.google.com/go/pubsub/v2"

	"github.com/ztfbridge/ztfbridge/internal/core/night"
)

func TestReplaySet(t *testing.T) {
	s := newReplaySet(3, slog.New(slog.NewTextHandler(io.Discard, nil)))
	inflight, other := new(pubsub.PublishResult), new(pubsub.PublishResult)
	steps := []struct {
		op       string // published, sending, failed or lookup
		night    string
		candid   int64
		res      *pubsub.PublishResult
		dup      bool // for lookup
		original *pubsub.PublishResult
	}{
		{op: "published", night: "20240101", candid: 1},
		{op: "lookup", night: "20240101", candid: 1, dup: true},
		{op: "lookup", night: "20240102", candid: 1}, // candids are per night
		{op: "published", night: "20240101", candid: 2},
		{op: "published", night: "20240101", candid: 3},
		{op: "published", night: "20240101", candid: 4}, // night is full: not remembered
		{op: "lookup", night: "20240101", candid: 4},
		{op: "lookup", night: "20240101", candid: 3, dup: true},

		{op: "sending", night: "20240102", candid: 5, res: inflight},
		{op: "lookup", night: "20240102", candid: 5, dup: true, original: inflight},
		{op: "failed", night: "20240102", candid: 5, res: other}, // another attempt: no effect
		{op: "lookup", night: "20240102", candid: 5, dup: true, original: inflight},
		{op: "failed", night: "20240102", candid: 5, res: inflight},
		{op: "lookup", night: "20240102", candid: 5},
		{op: "sending", night: "20240102", candid: 5, res: other},
		{op: "published", night: "20240102", candid: 5, res: other},
		{op: "lookup", night: "20240102", candid: 5, dup: true},

		{op: "lookup", night: "20240101", candid: 1, dup: true}, // previous night kept
		{op: "sending", night: "20240102", candid: 6, res: inflight},
		{op: "published", night: "20240103", candid: 20},
		{op: "lookup", night: "20240101", candid: 1}, // two nights ago evicted
		{op: "lookup", night: "20240102", candid: 5, dup: true},
		{op: "lookup", night: "20240102", candid: 6, dup: true, original: inflight},
		{op: "published", night: "20231231", candid: 30}, // older than both kept nights: ignored
		{op: "lookup", night: "20231231", candid: 30},
		{op: "lookup", night: "20240103", candid: 20, dup: true},
	}
	for i, st := range steps {
		switch st.op {
		case "published":
			s.published(ymd(t, st.night), st.candid, st.res)
		case "sending":
			s.sending(ymd(t, st.night), st.candid, st.res)
		case "failed":
			s.failed(ymd(t, st.night), st.candid, st.res)
		case "lookup":
			if dup, original := s.lookup(ymd(t, st.night), st.candid); dup != st.dup || original != st.original {
				t.Errorf("step %d: lookup(%s, %d) = %v, %p; want %v, %p", i, st.night, st.candid, dup, original, st.dup, st.original)
			}
		}
	}
	if n := s.published(ymd(t, "20240103"), 21, nil); n != 3 {
		t.Errorf("size %d, want 3 (20240102: 1, 20240103: 2)", n)
	}
}

// TestReplaySetMemory checks the memory bound stated in the package doc
// and --help: at most 40 bytes per remembered candid.
func TestReplaySetMemory(t *testing.T) {
	const perNight = 300_000
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s := newReplaySet(perNight, slog.New(slog.NewTextHandler(io.Discard, nil)))
	for _, n := range []string{"20240101", "20240102"} {
		for c := range int64(perNight + 1000) { // the extra 1000 are over the cap
			s.published(ymd(t, n), 2_475_433_850_015_010_009+c*7919, nil)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	held := s.published(ymd(t, "20240102"), 1, nil)
	if held != 2*perNight {
		t.Fatalf("held %d candids, want %d", held, 2*perNight)
	}
	perCandid := float64(after.HeapAlloc-before.HeapAlloc) / float64(held)
	t.Logf("%.1f bytes per candid", perCandid)
	if perCandid > 40 {
		t.Errorf("%.1f bytes per candid, the documented bound is 40", perCandid)
	}
	runtime.KeepAlive(s)
}

// ymd returns the night written as YYYYMMDD.
func ymd(t *testing.T, s string) night.Night {
	t.Helper()
	n, err := night.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
