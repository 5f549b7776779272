package bqloader

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/ztfbridge/ztfbridge/internal/core/night"
)

// candidLoader reads the candids of a night's rows in the raw table whose
// ingest_time is at or after since (the zero time: all of them).
type candidLoader func(ctx context.Context, n night.Night, since time.Time) ([]int64, error)

// refreshOverlap is how far back before its previous read a refresh looks.
// ingest_time is stamped before a row is written, so a row becomes visible
// up to one write (with its retries) after its ingest_time; rows seen
// twice are harmless.
const refreshOverlap = 10 * time.Minute

// seenSet remembers, for the few most recent nights, the candids that
// have a row in the raw table, so that the 10am replay of a night is
// acknowledged without writing it again. It is an optimisation: the alerts
// view is what makes a candid appear once. It is safe for concurrent use.
//
// A night is seeded from the table (every candid of the night already
// written, by this loader or another) when the loader starts, for tonight
// and the nights before it, or else the first time one of its alerts comes;
// refreshed from the table every refresh interval (rows other loaders
// wrote since), and extended with each row this loader writes. Memory is
// about 40 bytes per candid: at most maxNights nights are kept, the least
// recently used one is forgotten first.
type seenSet struct {
	load      candidLoader
	maxNights int
	now       func() time.Time
	log       *slog.Logger

	mu     sync.Mutex
	nights map[night.Night]*nightCandids
	size   int // candids in all nights
}

type nightCandids struct {
	ready    chan struct{} // closed once the first read of the table is over
	seeded   bool          // the table has been read whole at least once
	readAt   time.Time     // start of the last successful read
	lastUsed time.Time
	candids  map[int64]struct{}
}

func newSeenSet(load candidLoader, maxNights int, now func() time.Time, log *slog.Logger) *seenSet {
	return &seenSet{load: load, maxNights: max(maxNights, 1), now: now, log: log, nights: make(map[night.Night]*nightCandids)}
}

// contains reports whether candid of night has a row in the table. The
// first call for a night reads the night's candids from the table and the
// other calls for it wait for that read; if the read fails, contains
// answers false (the row is written, maybe twice) until a refresh succeeds.
func (s *seenSet) contains(ctx context.Context, d night.Night, candid int64) bool {
	n := s.night(ctx, d)
	select {
	case <-n.ready:
	case <-ctx.Done():
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, found := n.candids[candid]
	return found
}

// warm reads the candids of nights from the table now, rather than when
// their first alert comes.
func (s *seenSet) warm(ctx context.Context, nights ...night.Night) {
	for _, d := range nights {
		s.night(ctx, d)
	}
}

// night returns the set of night, reading it from the table first when it
// is new.
func (s *seenSet) night(ctx context.Context, d night.Night) *nightCandids {
	s.mu.Lock()
	n, ok := s.nights[d]
	if !ok {
		n = &nightCandids{ready: make(chan struct{}), candids: make(map[int64]struct{})}
		s.nights[d] = n
		s.evict(d)
	}
	n.lastUsed = s.now()
	s.mu.Unlock()
	if !ok {
		if err := s.read(ctx, d, n); err != nil {
			s.log.Warn("cannot read the night's candids: its replay will be written again until a refresh succeeds",
				"night", d.String(), "err", err)
		}
		close(n.ready)
	}
	return n
}

// add records candids of night as written. Nights not in the set (never
// asked about, or forgotten) are ignored.
func (s *seenSet) add(d night.Night, candids ...int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n, ok := s.nights[d]; ok {
		s.insert(n, candids)
	}
}

// refresh reads from the table the candids written since each night's
// previous read (all of them for a night never read whole), and returns
// the first error.
func (s *seenSet) refresh(ctx context.Context) error {
	s.mu.Lock()
	nights := make(map[night.Night]*nightCandids, len(s.nights))
	for d, n := range s.nights {
		nights[d] = n
	}
	s.mu.Unlock()
	var first error
	for d, n := range nights {
		select {
		case <-n.ready:
		default:
			continue // its first read is running
		}
		if err := s.read(ctx, d, n); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// read loads the night's candids written since its last read.
func (s *seenSet) read(ctx context.Context, d night.Night, n *nightCandids) error {
	s.mu.Lock()
	var since time.Time
	if n.seeded {
		since = n.readAt.Add(-refreshOverlap)
	}
	s.mu.Unlock()
	start := s.now()
	candids, err := s.load(ctx, d, since)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.insert(n, candids)
	n.seeded, n.readAt = true, start
	return nil
}

// len returns the number of candids held, all nights together.
func (s *seenSet) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.size
}

func (s *seenSet) insert(n *nightCandids, candids []int64) {
	for _, c := range candids {
		if _, ok := n.candids[c]; !ok {
			n.candids[c] = struct{}{}
			s.size++
		}
	}
}

// evict forgets the least recently used nights beyond maxNights, never
// keep. s.mu is held.
func (s *seenSet) evict(keep night.Night) {
	for len(s.nights) > s.maxNights {
		var oldest night.Night
		var oldestUse time.Time
		first := true
		for d, n := range s.nights {
			if d != keep && (first || n.lastUsed.Before(oldestUse)) {
				oldest, oldestUse, first = d, n.lastUsed, false
			}
		}
		s.size -= len(s.nights[oldest].candids)
		delete(s.nights, oldest)
	}
}
