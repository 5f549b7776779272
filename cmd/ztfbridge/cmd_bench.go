package main

import (
	"context"
	"fmt"
)

// runBench dispatches to the benchmark of one component. Each prints its
// throughput next to the raw client's against the same local server.
func runBench(ctx context.Context, e env, args []string) error {
	benches := map[string]func(context.Context, env, []string) error{
		"connect":  runBenchConnect,
		"function": runBenchFunction,
		"load":     runBenchLoad,
	}
	if len(args) > 0 {
		if b, ok := benches[args[0]]; ok {
			return b(ctx, e, args[1:])
		}
	}
	fmt.Fprintln(e.stderr, "Usage: ztfbridge bench connect|function|load [flags]")
	return errUsage
}
