// Package stack starts and stops the real local servers that ztfbridge's
// tests, "ztfbridge-dev demo" and "ztfbridge-dev up" run against, all on
// loopback: Kafka (franz-go kfake, in process), the Pub/Sub emulator
// (gcloud's, a child process), Cloud Storage (fake-gcs-server, in process)
// and BigQuery (goccy's emulator, a child process).
//
//	k, err := stack.StartKafka(ctx, stack.KafkaOptions{})
//	defer k.Close() // every server has Close; children die with this process
//	ps, err := stack.StartPubSub(ctx, log, stack.PubSubOptions{})
//	client, err := ps.Client(ctx) // or ps.ClientOptions() for a component
//	s, err := stack.Start(ctx, log, stack.Config{}) // all four, as a Stack
//
// Tests use package stacktest, which wraps these in one-liners closed by
// t.Cleanup; the components' Examples run against them.
//
// docs/demo.md ("The local servers") says how each behaves unlike the real
// service, what it costs to start and hold, where the BigQuery emulator's
// binary comes from, and how to point gcloud, gsutil, bq and kcat at them.
package stack
