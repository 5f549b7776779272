package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/ztfbridge/ztfbridge/internal/core/cli"
	"github.com/ztfbridge/ztfbridge/internal/core/config"
	"github.com/ztfbridge/ztfbridge/internal/core/night"
	"github.com/ztfbridge/ztfbridge/internal/dev/bench"
)

// runBench runs the benches named in args (all three by default) and,
// when all three ran, the projection of a night's cost.
func runBench(ctx context.Context, e cli.Env, args []string) error {
	stdout, log := e.Stdout, e.Log
	fs := cli.NewFlagSet(e, "bench")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: ztfbridge-dev bench [flags] [connect] [function] [load]\n\n"+
			"Measures the own CPU per alert of each component's process next to its raw client's, on the local stack,\n"+
			"and with all three benches projects a night's cost. Settings of the components (ZTFBRIDGE_BATCH_SIZE, ...)\n"+
			"in the environment apply to the component and its raw client alike.")
		fs.PrintDefaults()
	}
	opts := bench.Options{Log: log}
	connectAlerts := fs.Int("connect-alerts", 10_000, "synthetic alerts (60-90 KB) per connect pass")
	functionAlerts := fs.Int("function-alerts", 2000, "synthetic alerts per function pass")
	loadAlerts := fs.Int("load-alerts", 1000, "synthetic alerts per load pass (the BigQuery emulator inserts ~40 rows/s)")
	fs.IntVar(&opts.Rounds, "rounds", 3, "rounds of every pass; min and median are printed")
	fs.IntVar(&opts.Partitions, "partitions", 16, "partitions of the Kafka topic")
	fs.IntVar(&opts.Workers, "workers", 16, "concurrent writers or push requests of the function bench")
	fs.StringVar(&opts.PubSubHeap, "pubsub-heap", "4g", "maximum heap of the Pub/Sub emulator's JVM (java -Xmx)")
	fs.Uint64Var(&opts.Seed, "seed", 1, "seed of the synthetic alerts")
	opts.Night = night.Of(time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC))
	fs.TextVar(&opts.Night, "night", opts.Night, "night of the synthetic alerts, `YYYYMMDD`")
	self, err := os.Executable()
	if err != nil {
		return err
	}
	opts.Bins.Dev = self
	fs.StringVar(&opts.Bins.Ztfbridge, "ztfbridge", filepath.Join(filepath.Dir(self), "ztfbridge"), "the ztfbridge binary whose components are measured")
	if err := config.Parse(fs, args); err != nil {
		return err
	}
	names := fs.Args()
	if len(names) == 0 {
		names = []string{"connect", "function", "load"}
	}
	benches := map[string]struct {
		run    func(context.Context, bench.Options) (*bench.Report, error)
		alerts int
	}{
		"connect":  {bench.Connect, *connectAlerts},
		"function": {bench.Function, *functionAlerts},
		"load":     {bench.Load, *loadAlerts},
	}
	reports := map[string]*bench.Report{}
	for _, name := range names {
		b, ok := benches[name]
		if !ok {
			fs.Usage()
			return cli.ErrUsage
		}
		o := opts
		o.Alerts = b.alerts
		rep, err := b.run(ctx, o)
		if err != nil {
			return fmt.Errorf("bench %s: %w", name, err)
		}
		rep.Print(stdout)
		fmt.Fprintln(stdout)
		reports[name] = rep
	}
	if len(reports) < len(benches) {
		return nil
	}
	prices, err := bench.DefaultPrices()
	if err != nil {
		return err
	}
	bench.PrintProjection(stdout, bench.MeasuredFrom(reports["connect"], reports["function"], reports["load"]), prices, bench.Nights)
	return nil
}

// runRaw runs one raw client for the bench, which starts it as a process
// of its own and measures it.
func runRaw(ctx context.Context, e cli.Env, args []string) error {
	stdin, stdout := e.Stdin, e.Stdout
	raws := map[string]func(context.Context, []string, io.Reader, io.Writer) error{
		"connect": bench.RunRawConnect,
		"store":   bench.RunRawStore,
		"load":    bench.RunRawLoad,
		"receive": bench.RunRawReceive,
	}
	if len(args) == 0 || raws[args[0]] == nil {
		return fmt.Errorf("raw: want connect, store, load or receive: %w", cli.ErrUsage)
	}
	return raws[args[0]](ctx, args[1:], stdin, stdout)
}
