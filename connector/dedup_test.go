package connector

import (
	"io"
	"log/slog"
	"runtime"
	"testing"
)

func TestReplaySet(t *testing.T) {
	s := newReplaySet(3, slog.New(slog.NewTextHandler(io.Discard, nil)))
	steps := []struct {
		op     string // "add" or "seen"
		night  string
		candid int64
		want   bool // for seen
	}{
		{"add", "20240101", 1, false},
		{"seen", "20240101", 1, true},
		{"seen", "20240102", 1, false}, // candids are per night
		{"add", "20240101", 2, false},
		{"add", "20240101", 3, false},
		{"add", "20240101", 4, false}, // night is full: not remembered
		{"seen", "20240101", 4, false},
		{"seen", "20240101", 3, true},
		{"add", "20240102", 10, false},
		{"seen", "20240101", 1, true}, // previous night kept
		{"add", "20240103", 20, false},
		{"seen", "20240101", 1, false}, // two nights ago evicted
		{"seen", "20240102", 10, true},
		{"add", "20231231", 30, false}, // older than both kept nights: ignored
		{"seen", "20231231", 30, false},
		{"seen", "20240103", 20, true},
	}
	for i, st := range steps {
		switch st.op {
		case "add":
			s.add(st.night, st.candid)
		case "seen":
			if got := s.seen(st.night, st.candid); got != st.want {
				t.Errorf("step %d: seen(%s, %d) = %v, want %v", i, st.night, st.candid, got, st.want)
			}
		}
	}
	if n := s.add("20240103", 21); n != 3 {
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
			s.add(n, 2_475_433_850_015_010_009+c*7919)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	held := s.add("20240102", 1)
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
