package functionbench_test

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/ztfbridge/ztfbridge/functions/functionbench"
)

// Run times the storage client alone and then the function on the same
// local server; "ztfbridge bench function" prints the report.
func Example() {
	rep, err := functionbench.Run(context.Background(), slog.New(slog.DiscardHandler),
		functionbench.Options{Alerts: 50, Workers: 4, NoPubSub: true})
	if err != nil {
		panic(err)
	}
	for _, r := range rep.Rates {
		fmt.Println(r.Name, r.Objects, r.PerSecond() > 0)
	}
	// Output:
	// raw storage client 50 true
	// function (push requests) 50 true
	// function replay (all duplicates) 50 true
}
