package reconcile_test

import (
	"context"
	"log"
	"os"
	"time"

	"github.com/ztfbridge/ztfbridge/internal/core/night"
	"github.com/ztfbridge/ztfbridge/internal/ops/reconcile"
)

// Reconcile a night at every stage of a deployment and repair what is
// missing, as "ztfbridge reconcile --night 20201227 --repair" does.
func Example() {
	ctx := context.Background()
	cfg := reconcile.DefaultConfig()
	cfg.Stages.Brokers = []string{"public.alerts.ztf.uw.edu:9092"}
	cfg.Stages.Bucket, cfg.Stages.Project = "my-alert-bucket", "my-project"
	r, err := reconcile.Run(ctx, cfg, night.Of(time.Date(2020, 12, 27, 0, 0, 0, 0, time.UTC)))
	if err != nil {
		log.Fatal(err) // a stage could not be read
	}
	if r.OK() {
		return // every alert is everywhere
	}
	res, err := reconcile.Repair(ctx, cfg, r, reconcile.InGCS|reconcile.InBigQuery)
	if err != nil {
		log.Fatal(err)
	}
	if err := reconcile.WriteTable(os.Stdout, r, res); err != nil {
		log.Fatal(err)
	}
}
