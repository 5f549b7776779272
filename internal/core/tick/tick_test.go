package tick_test

import (
	"context"
	"testing"
	"time"

	"github.com/ztfbridge/ztfbridge/internal/core/tick"
)

// TestEvery cancels the context from inside the third call: Every must
// have called f exactly three times and returned, whatever the scheduling.
func TestEvery(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	calls := 0
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick.Every(ctx, time.Millisecond, func() {
			calls++
			if calls == 3 {
				cancel()
			}
		})
	}()
	<-done
	if calls != 3 {
		t.Fatalf("f called %d times, want 3", calls)
	}
}

// TestEveryReturnsWhenDone: a context already done returns without a call.
func TestEveryReturnsWhenDone(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	tick.Every(ctx, time.Hour, func() { t.Error("f called after ctx was done") })
}
