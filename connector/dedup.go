package connector

import (
	"log/slog"
	"maps"
	"slices"
	"sync"

	"cloud.google.com/go/pubsub/v2"

	"github.com/ztfbridge/ztfbridge/internal/core/night"
)

// replaySet remembers the candids published for the two most recent
// nights, at most max per night, so that --dedup-replay can drop the 10am
// replay of a night. Its memory is bounded by 2 x max candids (at most 40
// bytes each in a Go map), plus the alerts in flight. It is safe for
// concurrent use.
//
// A copy is only ever dropped in favour of a publish that succeeded:
//   - a candid is remembered once its publish is acknowledged;
//   - a candid whose publish is still in flight is dropped provisionally:
//     the copy waits for that publish's result, and is published itself
//     if it failed.
//
// Once a night holds max candids, further ones of that night are published
// without being remembered. The set lives in memory: after a restart the
// replay of earlier alerts is published again, and downstream dedup
// (write-once GCS objects, one BigQuery row per candid) stays the
// guarantee.
type replaySet struct {
	max int
	log *slog.Logger

	mu       sync.Mutex
	nights   map[night.Night]map[int64]struct{}  // night -> acknowledged candids
	inflight map[replayKey]*pubsub.PublishResult // publishes not yet acknowledged
	full     map[night.Night]bool                // nights that reached max, logged once
}

type replayKey struct {
	night  night.Night
	candid int64
}

func newReplaySet(max int, log *slog.Logger) *replaySet {
	return &replaySet{max: max, log: log, nights: map[night.Night]map[int64]struct{}{},
		inflight: map[replayKey]*pubsub.PublishResult{}, full: map[night.Night]bool{}}
}

// lookup reports whether candid of night was published (dup, with a nil
// original) or is being published (dup, with the original's result).
func (s *replaySet) lookup(n night.Night, candid int64) (dup bool, original *pubsub.PublishResult) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.nights[n][candid]; ok {
		return true, nil
	}
	original, dup = s.inflight[replayKey{n, candid}]
	return dup, original
}

// sending records that candid of night is being published with result res.
func (s *replaySet) sending(n night.Night, candid int64, res *pubsub.PublishResult) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inflight[replayKey{n, candid}] = res
}

// failed forgets the in-flight publish res of candid.
func (s *replaySet) failed(n night.Night, candid int64, res *pubsub.PublishResult) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if k := (replayKey{n, candid}); s.inflight[k] == res {
		delete(s.inflight, k)
	}
}

// published remembers candid of night as acknowledged. A night older than
// the two kept is not remembered; a newer one evicts the oldest. It
// returns the number of candids remembered.
func (s *replaySet) published(n night.Night, candid int64, res *pubsub.PublishResult) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if k := (replayKey{n, candid}); s.inflight[k] == res {
		delete(s.inflight, k)
	}
	set, ok := s.nights[n]
	if !ok {
		keys := slices.SortedFunc(maps.Keys(s.nights), night.Night.Compare)
		if len(keys) >= 2 && n.Compare(keys[0]) < 0 {
			return s.sizeLocked()
		}
		for len(keys) >= 2 {
			s.evictLocked(keys[0])
			keys = keys[1:]
		}
		set = make(map[int64]struct{})
		s.nights[n] = set
	}
	if len(set) >= s.max {
		if !s.full[n] {
			s.full[n] = true
			s.log.Warn("dedup-replay is full for this night; later candids are published without the check",
				"night", n, "dedup_max", s.max)
		}
		return s.sizeLocked()
	}
	set[candid] = struct{}{}
	return s.sizeLocked()
}

func (s *replaySet) evictLocked(n night.Night) {
	delete(s.nights, n)
	delete(s.full, n)
	for k := range s.inflight {
		if k.night == n {
			delete(s.inflight, k)
		}
	}
}

func (s *replaySet) sizeLocked() int {
	n := 0
	for _, set := range s.nights {
		n += len(set)
	}
	return n
}
