// Package nightcount counts one ZTF night at every stage of the pipeline, so
// that an operator (ztfbridge count), the demo (ztfbridge-dev demo) and the tests
// can tell whether a night arrived whole and once:
//
//	stage          what is counted                                             StageCounts field
//	Kafka          newest - oldest offset, summed over the night's partitions  KafkaMessages
//	Pub/Sub        the connector's record _ztfbridge/connector/<topic>.json    PubSubPublished, PubSubDeadLetter
//	Cloud Storage  objects ztf_YYYYMMDD_programid1_*.avro at the bucket root   GCSObjects
//	BigQuery       COUNT(*), COUNT(DISTINCT candid) of Table WHERE night = D   BigQueryRows, DistinctCandids
//
// Kafka and Pub/Sub count messages, so the 10am replay and redeliveries count
// twice there; Cloud Storage (written once per candid by the archiver, package functions) and
// BigQuery's alerts view (one row per candid, bqloader/sql/alerts.sql) count
// alerts. Verdict compares the alert counts with each other and with an
// expected number of unique alerts.
//
// # Each stage is optional
//
// A stage whose setting is empty in Config (no brokers, no bucket, no project)
// is not counted: its field is nil, printed "n/a", and is not an error. So the
// same command works from a laptop on GCP without access to ZTF's Kafka. A stage
// that is configured but has nothing for the night (the topic no longer retained,
// no connector record) is nil too. A stage that fails (unreachable, denied, a
// BigQuery table that does not exist: a wrong --dataset) is an
// error; Count still returns the stages that worked.
//
// # Same code for GCP and the local stack
//
// Endpoints come from the environment, as "ztfbridge-dev up" exports them: the
// storage client honours STORAGE_EMULATOR_HOST, BigQuery takes Config.BigQueryAPI
// (--bigquery-api, ZTFBRIDGE_BIGQUERY_API, as the loader does), Kafka takes
// Config.Brokers. Without them the Google clients use Application Default
// Credentials.
//
// # For other commands (ztfbridge-dev demo)
//
// The API is stable: Count(ctx, cfg, night) returns StageCounts;
// StageCounts.Verdict(expect) judges them; WriteTable and WriteJSON print one or more nights with their
// verdicts. Pass expect = 0 when the number of unique alerts is not known.
package nightcount
