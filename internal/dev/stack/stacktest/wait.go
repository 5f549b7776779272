package stacktest

import (
	"net"
	"testing"
	"time"

	"github.com/ztfbridge/ztfbridge/internal/dev/stack"
)

// pollEvery is the shortest wait between two calls of Poll's cond.
const pollEvery = 50 * time.Millisecond

// Poll calls cond until it holds and reports whether it did within
// timeout. Between calls it waits 50 ms, or as long as the last call took
// if that was longer, so that a costly cond (a query of an emulator) takes
// at most half of what it asks. Tests that wait for something another
// process or goroutine does use it, or WaitFor, rather than sleeping.
func Poll(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		start := time.Now()
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(max(pollEvery, time.Since(start)))
	}
}

// WaitFor polls cond as Poll does and, if cond did not hold within
// timeout, fails t with failure: what did not happen ("the budget never
// filled").
func WaitFor(t testing.TB, timeout time.Duration, failure string, cond func() bool) {
	t.Helper()
	if !Poll(timeout, cond) {
		t.Fatalf("after %v: %s", timeout, failure)
	}
}

// WaitListening waits, as WaitFor does, until something accepts TCP
// connections on addr: a server the test started there is up.
func WaitListening(t testing.TB, timeout time.Duration, addr string) {
	t.Helper()
	WaitFor(t, timeout, "nothing listens on "+addr, func() bool { return Listening(addr) })
}

// FreeAddr returns a loopback host:port that was free a moment ago, for a
// server the test starts (stack.FreeAddr).
func FreeAddr(t testing.TB) string {
	t.Helper()
	addr, err := stack.FreeAddr()
	return must(t, addr, err)
}

// must returns v, or fails t with err.
func must[T any](t testing.TB, v T, err error) T {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Listening reports whether something accepts TCP connections on addr.
func Listening(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}
