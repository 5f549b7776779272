package main

import (
	"context"
	"time"

	"github.com/ztfbridge/ztfbridge/internal/core/cli"
	"github.com/ztfbridge/ztfbridge/internal/core/night"
	"github.com/ztfbridge/ztfbridge/internal/dev/synth"
)

// runGenerate writes synthetic ZTF 4.02 alerts of a night into a
// directory, one <candid>.avro file each (see package synth).
func runGenerate(ctx context.Context, e cli.Env, args []string) error {
	fs := cli.NewFlagSet(e, "generate")
	n := night.Of(time.Now())
	fs.TextVar(&n, "night", n, "night of the alerts, YYYYMMDD (UTC)")
	count := fs.Int("count", 1000, "number of alerts to write")
	out := fs.String("out", "alerts", "directory to write <candid>.avro files into")
	seed := fs.Uint64("seed", 1, "random seed: the same flags write the same files")
	objects := fs.Int("objects", synth.DefaultObjects, "number of distinct objects the alerts are spread over")
	if err := cli.ParseOnlyFlags(e, fs, args); err != nil {
		return err
	}
	g, err := synth.New(synth.Config{Night: n, Seed: *seed, Objects: *objects})
	if err != nil {
		return err
	}
	files, size, err := g.WriteDir(ctx, *out, *count)
	e.Log.Info("generated alerts", "night", n, "topic", n.Topic(), "files", files, "bytes", size, "dir", *out)
	return err
}
