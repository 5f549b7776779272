package connector

import (
	"log/slog"
	"maps"
	"slices"
	"sync"
)

// replaySet remembers the candids published for the two most recent
// nights, at most max per night, so that --dedup-replay can drop the 10am
// replay of a night. Its memory is bounded by 2 x max candids (about 40
// bytes each in a Go map). It is safe for concurrent use.
//
// A candid is added when its publish is acknowledged, so a dropped alert
// was surely published before. Once a night holds max candids, further
// ones of that night are published without being remembered. The set lives
// in memory: after a restart the replay of earlier alerts is published
// again, and downstream dedup (write-once GCS objects, one BigQuery row per
// candid) stays the guarantee.
type replaySet struct {
	max int
	log *slog.Logger

	mu     sync.Mutex
	nights map[string]map[int64]struct{} // night YYYYMMDD -> candids
	full   map[string]bool               // nights that reached max, logged once
}

func newReplaySet(max int, log *slog.Logger) *replaySet {
	return &replaySet{max: max, log: log, nights: map[string]map[int64]struct{}{}, full: map[string]bool{}}
}

// seen reports whether candid was added for night.
func (s *replaySet) seen(night string, candid int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.nights[night][candid]
	return ok
}

// add remembers candid for night. A night older than the two kept is not
// remembered; a newer one evicts the oldest. It returns the number of
// candids held.
func (s *replaySet) add(night string, candid int64) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	set, ok := s.nights[night]
	if !ok {
		keys := slices.Sorted(maps.Keys(s.nights))
		if len(keys) >= 2 && night < keys[0] {
			return s.sizeLocked()
		}
		for len(keys) >= 2 {
			delete(s.nights, keys[0])
			delete(s.full, keys[0])
			keys = keys[1:]
		}
		set = make(map[int64]struct{})
		s.nights[night] = set
	}
	if len(set) >= s.max {
		if !s.full[night] {
			s.full[night] = true
			s.log.Warn("dedup-replay is full for this night; later candids are published without the check",
				"night", night, "dedup_max", s.max)
		}
		return s.sizeLocked()
	}
	set[candid] = struct{}{}
	return s.sizeLocked()
}

func (s *replaySet) sizeLocked() int {
	n := 0
	for _, set := range s.nights {
		n += len(set)
	}
	return n
}
