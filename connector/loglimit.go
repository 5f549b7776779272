package connector

import (
	"log/slog"
	"sync"
	"time"
)

// limitedLog logs the first event of each kind, then at most one a minute
// with the number of events it kept quiet about, so that a burst of bad
// messages or a Pub/Sub outage does not flood Cloud Logging. Metrics count
// every event.
type limitedLog struct {
	log   *slog.Logger
	every time.Duration

	mu    sync.Mutex
	last  map[string]time.Time
	quiet map[string]int
}

func newLimitedLog(log *slog.Logger) *limitedLog {
	return &limitedLog{log: log, every: time.Minute, last: map[string]time.Time{}, quiet: map[string]int{}}
}

// warn logs msg with args unless an event of the same kind was logged
// less than a minute ago.
func (l *limitedLog) warn(kind, msg string, args ...any) { l.warnWith(l.log, kind, msg, args...) }

// warnWith is warn, logging to log.
func (l *limitedLog) warnWith(log *slog.Logger, kind, msg string, args ...any) {
	l.mu.Lock()
	now := time.Now()
	if last, ok := l.last[kind]; ok && now.Sub(last) < l.every {
		l.quiet[kind]++
		l.mu.Unlock()
		return
	}
	quiet := l.quiet[kind]
	l.last[kind], l.quiet[kind] = now, 0
	l.mu.Unlock()
	if quiet > 0 {
		args = append(args, "similar_since_last_log", quiet)
	}
	log.Warn(msg, args...)
}
