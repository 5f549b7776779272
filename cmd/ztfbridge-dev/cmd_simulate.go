package main

import (
	"context"
	"fmt"
	"time"

	"github.com/ztfbridge/ztfbridge/internal/core/cli"
	"github.com/ztfbridge/ztfbridge/internal/core/config"
	"github.com/ztfbridge/ztfbridge/internal/core/night"
	"github.com/ztfbridge/ztfbridge/internal/dev/simulate"
	"github.com/ztfbridge/ztfbridge/internal/dev/synth"
)

// runSimulate produces a night of alerts into Kafka, generated or read
// from a folder of real packets, at a chosen rate, optionally followed by
// the 10am full replay (see package simulate).
func runSimulate(ctx context.Context, e cli.Env, args []string) error {
	fs := cli.NewFlagSet(e, "simulate")
	brokers := []string{"localhost:9092"}
	fs.Var(config.List(&brokers), "brokers", "comma-separated Kafka bootstrap `brokers`, host:port")
	n := night.Of(time.Now())
	fs.TextVar(&n, "night", n, "night of the alerts, YYYYMMDD (UTC); names the topic")
	topic := fs.String("topic", "", "Kafka `topic` to produce into (default ztf_<night>_programid1)")
	count := fs.Int("count", 1000, "number of generated alerts (ignored with --dir)")
	seed := fs.Uint64("seed", 1, "random seed of the generated alerts: the same flags produce the same packets")
	objects := fs.Int("objects", synth.DefaultObjects, "number of distinct objects the generated alerts are spread over")
	dir := fs.String("dir", "", "produce the *.avro files of this `folder` (real packets) instead of generated alerts")
	alertRate := fs.Float64("rate", 0, "alerts per second; 0 is as fast as Kafka takes them (ZTF bursts at ~1300/s)")
	replay := fs.Bool("replay", false, "produce the whole night a second time afterwards, like ZTF's 10am replay")
	partitions := fs.Int("partitions", 16, "partitions of the topic when simulate creates it (ZTF's have 16)")
	if err := cli.ParseOnlyFlags(e, fs, args); err != nil {
		return err
	}
	if *topic == "" {
		*topic = n.Topic()
	}
	src := simulate.Generated(synth.Config{Night: n, Seed: *seed, Objects: *objects}, *count)
	if *dir != "" {
		src = simulate.Dir(*dir)
	}
	cfg := simulate.Config{
		Brokers:    brokers,
		Topic:      *topic,
		Partitions: int32(*partitions),
		Rate:       *alertRate,
		Replay:     *replay,
		Progress: func(p simulate.Progress) {
			fmt.Fprintf(e.Stderr, "simulate: pass %d, %d alerts produced (%.1f MB) in %s\n",
				p.Pass, p.Produced, float64(p.Bytes)/1e6, p.Elapsed.Round(time.Second))
		},
	}
	p, err := simulate.Run(ctx, cfg, src)
	e.Log.Info("simulated the night", "topic", *topic, "produced", p.Produced, "bytes", p.Bytes, "elapsed", p.Elapsed.String(), "replay", *replay)
	return err
}
