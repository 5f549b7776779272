package bqloader_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ztfbridge/ztfbridge/bqloader"
	"github.com/ztfbridge/ztfbridge/internal/core/deps"
	"github.com/ztfbridge/ztfbridge/internal/core/night"
	"github.com/ztfbridge/ztfbridge/internal/dev/stack"
	"github.com/ztfbridge/ztfbridge/internal/dev/synth"
)

// A loader on the local emulators loads a night of three alerts and its
// replay: three rows, three duplicates dropped, three alerts to query.
func Example() {
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	ps, err := stack.StartPubSub(ctx, log, stack.PubSubOptions{})
	if err != nil {
		panic(err)
	}
	defer ps.Close()
	bq, err := stack.StartBigQuery(ctx, log, stack.BigQueryOptions{})
	if err != nil {
		panic(err)
	}
	defer bq.Close()
	for _, topic := range []string{"ztf-alerts", "ztf-alerts-deadletter"} {
		if _, err := ps.ResetTopic(ctx, topic); err != nil {
			panic(err)
		}
	}

	cfg := bqloader.DefaultConfig()
	cfg.CreateResources = true // on the local stack; Terraform owns them on Google Cloud
	cfg.Project = bq.Project
	cfg.BigQueryAPI, cfg.StorageWriteAPI = bq.Endpoint(), bq.GRPCAddr // the emulator; empty on Google Cloud
	cfg.PubSubProject = ps.Project
	reg := prometheus.NewRegistry()
	// creates the subscription, the table and the views (CreateResources)
	l, err := bqloader.New(ctx, cfg, deps.WithPubSubOptions(ps.ClientOptions()...), deps.WithLogger(log), deps.WithRegistry(reg))
	if err != nil {
		panic(err)
	}
	defer l.Close()

	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- l.Run(runCtx) }()

	// The night, then its replay.
	packets, err := synth.Generate(synth.Config{Night: night.Of(time.Now()), Seed: 1}, 3)
	if err != nil {
		panic(err)
	}
	psc, err := ps.Client(ctx)
	if err != nil {
		panic(err)
	}
	defer psc.Close()
	pub := psc.Publisher("ztf-alerts")
	defer pub.Stop()
	for pass := 1; pass <= 2; pass++ {
		for _, p := range packets {
			if _, err := pub.Publish(ctx, &pubsub.Message{Data: p.Data}).Get(ctx); err != nil {
				panic(err)
			}
		}
		for settled(reg) < float64(pass*len(packets)) {
			time.Sleep(20 * time.Millisecond)
		}
	}
	stop()
	if err := <-done; err != nil {
		panic(err)
	}

	bqc, err := bq.Client(ctx)
	if err != nil {
		panic(err)
	}
	defer bqc.Close()
	it, err := bqc.Query("SELECT COUNT(*) AS n FROM ztf.alerts").Read(ctx)
	if err != nil {
		panic(err)
	}
	var row struct{ N int64 }
	if err := it.Next(&row); err != nil {
		panic(err)
	}
	fmt.Println("rows written:", metric(reg, "ztfbridge_bqloader_rows_written_total"))
	fmt.Println("duplicates dropped:", metric(reg, "ztfbridge_bqloader_duplicates_dropped_total"))
	fmt.Println("rows in ztf.alerts:", row.N)
	// Output:
	// rows written: 3
	// duplicates dropped: 3
	// rows in ztf.alerts: 3
}

// settled counts the messages the loader wrote or dropped.
func settled(reg *prometheus.Registry) float64 {
	return metric(reg, "ztfbridge_bqloader_rows_written_total") + metric(reg, "ztfbridge_bqloader_duplicates_dropped_total")
}

// metric reads a counter of the loader.
func metric(reg *prometheus.Registry, name string) float64 {
	families, _ := reg.Gather()
	for _, f := range families {
		if f.GetName() == name {
			return f.GetMetric()[0].GetCounter().GetValue()
		}
	}
	return 0
}

// ViewSQL gives the statements of the SQL files with the placeholders
// filled in, as the loader runs them at start.
func ExampleViewSQL() {
	stmts, err := bqloader.ViewSQL("my-project", "ztf")
	if err != nil {
		panic(err)
	}
	for i, s := range stmts {
		for _, line := range strings.Split(s, "\n") {
			if strings.HasPrefix(line, "CREATE") {
				fmt.Println(bqloader.ViewFiles[i], line)
			}
		}
	}
	// Output:
	// sql/alerts.sql CREATE OR REPLACE VIEW `my-project.ztf.alerts`
	// sql/light_curve.sql CREATE OR REPLACE VIEW `my-project.ztf.light_curve`
	// sql/night_counts.sql CREATE OR REPLACE VIEW `my-project.ztf.night_counts`
}
