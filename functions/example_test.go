package functions_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"

	"github.com/ztfbridge/ztfbridge/functions"
	"github.com/ztfbridge/ztfbridge/internal/core/attr"
	"github.com/ztfbridge/ztfbridge/internal/core/deps"
	"github.com/ztfbridge/ztfbridge/internal/dev/stack"
	"github.com/ztfbridge/ztfbridge/internal/dev/synth"
)

// An Archiver stores each alert once: the second delivery of the same
// alert (a redelivery, or the 10am replay) finds the object and writes
// nothing.
func Example() {
	ctx := context.Background()
	gcs, err := stack.StartGCS(ctx, stack.GCSOptions{Buckets: []string{"alerts"}})
	if err != nil {
		panic(err)
	}
	defer gcs.Close()

	cfg := functions.DefaultConfig()
	cfg.Bucket = "alerts"
	a, err := functions.New(ctx, cfg, deps.WithLogger(slog.New(slog.DiscardHandler)), deps.WithStorageOptions(gcs.ClientOptions()...))
	if err != nil {
		panic(err)
	}
	defer a.Close()

	g, _ := synth.New(synth.Config{Night: testNight, Seed: 1})
	p, _ := g.Next()
	m := functions.Message{ID: "1", Data: p.Data, Attributes: map[string]string{attr.KafkaTopic: "ztf_20240101_programid1"}}
	for range 2 {
		res, err := a.Store(ctx, m)
		fmt.Println(res.Outcome, res.Object, err)
	}
	res, err := a.Store(ctx, functions.Message{ID: "2", Data: []byte("not an alert")})
	fmt.Println(res.Outcome, res.Reason != "", err)
	fmt.Printf("%+v\n", a.Outcomes())
	// Output:
	// stored ztf_20240101_programid1_2556459027837010001.avro <nil>
	// duplicate ztf_20240101_programid1_2556459027837010001.avro <nil>
	// quarantined true <nil>
	// {Stored:1 Duplicates:1 Quarantined:1}
}

// ServeHTTP is the function that a Pub/Sub push subscription (or
// Eventarc) calls with a Pub/Sub message: 200 acknowledges the message, an
// error status has it delivered again.
func ExampleArchiver_ServeHTTP() {
	ctx := context.Background()
	gcs, err := stack.StartGCS(ctx, stack.GCSOptions{Buckets: []string{"alerts"}})
	if err != nil {
		panic(err)
	}
	defer gcs.Close()
	a, err := functions.New(ctx, functions.Config{Bucket: "alerts", QuarantinePrefix: "quarantine/"}, deps.WithLogger(slog.New(slog.DiscardHandler)), deps.WithStorageOptions(gcs.ClientOptions()...))
	if err != nil {
		panic(err)
	}
	defer a.Close()

	g, _ := synth.New(synth.Config{Night: testNight, Seed: 1})
	p, _ := g.Next()
	body, _ := json.Marshal(map[string]any{
		"message":      map[string]any{"data": p.Data, "messageId": "17"},
		"subscription": "projects/my-project/subscriptions/ztf-alerts-function",
	})
	w := httptest.NewRecorder()
	a.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/projects/my-project/topics/ztf-alerts", bytes.NewReader(body)))
	fmt.Println(w.Code, a.Outcomes().Stored)
	// Output: 200 1
}
