// Package stack starts and stops the real local servers that ztfbridge's
// tests, "ztfbridge-dev demo" and "ztfbridge-dev up" run against, all on loopback:
//
//	server                          StartX          runs as                        ready in (2 busy cores)
//	Kafka (franz-go kfake)          StartKafka      in this process                ~1 ms
//	Pub/Sub (gcloud's emulator)     StartPubSub     java child, own process group  1.2-3.6 s (7 s under heavy load)
//	Cloud Storage (fake-gcs-server) StartGCS        in this process, HTTP + HTTPS  20-40 ms
//	BigQuery (goccy emulator)       StartBigQuery   Go child, own process group    0.1-0.4 s (+ one build, below)
//
// Start starts all four for a Stack. Every server has Close, which is safe
// to call twice; child processes are killed with their whole process
// group, and the kernel kills them too if this process dies first
// (Pdeathsig), so nothing is left running. Tests use package stacktest,
// which wraps these in one-liners closed by t.Cleanup.
//
// # Kafka
//
// kfake speaks the Kafka protocol well enough for sarama (Version
// V2_8_0_0): producing, consumer groups (join, sync, heartbeat, commit,
// fetch offsets) all work, tested by a consumer-group round trip.
// Differences from a real broker worth knowing: records live in memory
// only; topics are not auto-created unless KafkaOptions.AutoCreateTopics
// (ZTF's brokers do not either: a consumer waits for the night's topic);
// the default partition count is 10; replication is not modelled; the
// group session timeout must lie within 6 s and 5 min, as on a default
// broker. kcat works too (kcat -b ADDR -L lists brokers and topics).
//
// # Pub/Sub
//
// StartPubSub runs the emulator script of the Cloud SDK holding the gcloud
// on PATH (platform/pubsub-emulator/bin/cloud-pubsub-emulator) directly:
// "gcloud beta emulators pubsub start" wraps the same script in a Python
// process and took 10.9 s to answer where the script took 2.5 s. The JVM
// heap is capped by PubSubOptions.Heap (default 2g). Measured: 120-150 MB
// resident when idle; 1.1 GB while holding 10,000 unacknowledged 70 KB
// messages (700 MB) for two subscriptions, published from one client in
// 4 s (2,500 messages/s). A backlog much beyond the heap makes the
// emulator fail, so raise Heap for bigger runs.
// Where the emulator is missing it falls back to pstest, in-process, and
// logs a warning: pstest has no push delivery and receives only ~90
// messages/s per stream. The emulator keeps topics, subscriptions and
// acknowledged messages until it stops, so tests start from
// ResetTopic/ResetSubscription, which delete and create.
//
// # Cloud Storage
//
// StartGCS serves fake-gcs-server's JSON API over HTTP (Go clients, gcloud
// storage) and, from the same store, over HTTPS with a self-signed
// certificate (gsutil). Write preconditions work as on GCS: a write with
// storage.Conditions{DoesNotExist: true} of an object that exists fails
// with HTTP 412 and leaves the first object.
//
// # BigQuery
//
// StartBigQuery runs goccy/bigquery-emulator v0.8.1, built from the
// separate module tools/bqemulator so that its dependencies stay out of
// ztfbridge's go.mod. The binary is BigQueryOptions.Binary, else
// $ZTFBRIDGE_BQ_EMULATOR, else $(go env GOCACHE)/ztfbridge/bqemulator-v0.8.1-memdb,
// built there with CGO_ENABLED=0 on first use (logged; about 5 minutes
// cold, 8 s when the Go build cache is warm). It uses ~155 MB resident.
//
// # Command-line tools
//
// With the variables of Stack.Env exported (ztfbridge-dev up prints them), the
// Google Cloud CLIs and kcat work on the local stack:
//
//	gcloud storage ls 'gs://BUCKET/ztf_20240715_programid1_*.avro' | wc -l
//	gsutil ls 'gs://BUCKET/ztf_20240715_programid1_*.avro' | wc -l
//	bq query --nouse_legacy_sql 'SELECT COUNT(*) FROM ztf.alerts'
//	gcloud pubsub topics list
//	kcat -b $ZTFBRIDGE_BROKERS -L
//
// gcloud storage reads CLOUDSDK_API_ENDPOINT_OVERRIDES_STORAGE
// (http://127.0.0.1:PORT/storage/v1/); gsutil reads the boto file named
// by BOTO_CONFIG (gs_json_host/gs_json_port of the HTTPS listener,
// https_validate_certificates = False); bq reads
// CLOUDSDK_API_ENDPOINT_OVERRIDES_BIGQUERY (http://127.0.0.1:PORT/bigquery/v2/,
// equivalent to bq --api=http://127.0.0.1:PORT); all three need
// CLOUDSDK_AUTH_ACCESS_TOKEN=fake and CLOUDSDK_CORE_PROJECT (CLIEnv), since
// bq refuses to run with credentials disabled.
package stack
