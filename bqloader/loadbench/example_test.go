package loadbench_test

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/ztfbridge/ztfbridge/bqloader/loadbench"
)

// Run times the managedwriter client alone and then the loader on the same
// local emulator; "ztfbridge bench load" prints the report.
func Example() {
	rep, err := loadbench.Run(context.Background(), slog.New(slog.DiscardHandler), loadbench.Options{Alerts: 40, BatchRows: 10})
	if err != nil {
		panic(err)
	}
	for _, r := range rep.Rates {
		fmt.Println(r.Name, r.Rows, r.PerSecond() > 0)
	}
	// Output:
	// raw managedwriter (pre-encoded rows) 40 true
	// loader (Pub/Sub backlog to rows) 40 true
	// loader replay (all duplicates, no writes) 40 true
}
