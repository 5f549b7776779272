// Package tick runs a function at a fixed interval until a context ends:
// the loop of every background refresh, flush and progress line.
package tick

import (
	"context"
	"time"
)

// Every calls f every interval until ctx is done, then returns. It does
// not call f at once, nor once more at the end. interval must be positive.
func Every(ctx context.Context, interval time.Duration, f func()) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			f()
		}
	}
}
