// Package reconcile proves, for one night, that every alert ZTF produced is
// in every stage of the pipeline, names the ones that are not, and brings
// them back. It is what "ztfbridge reconcile --night YYYYMMDD [--repair]"
// runs:
//
//	cfg := reconcile.DefaultConfig()
//	cfg.Stages.Brokers = []string{"public.alerts.ztf.uw.edu:9092"}
//	cfg.Stages.Bucket, cfg.Stages.Project = "my-alerts", "my-project"
//	r, err := reconcile.Run(ctx, cfg, night)     // the candids of every stage, compared
//	reconcile.WriteTable(os.Stdout, r, nil)      // or WriteJSON, WriteLists
//	if !r.OK() {
//		res, err := reconcile.Repair(ctx, cfg, r, reconcile.InGCS|reconcile.InBigQuery)
//	}
//
// # What is read
//
//	Kafka     the night's topic, every partition from its oldest retained offset to the high
//	          watermark taken at the start, by a plain consumer (no group, nothing committed).
//	          Only the ids of each packet are decoded (message.Check); a message the stages
//	          refuse (message.Check's reasons, or above --max-message-bytes: too_large) is a
//	          dead letter with its reason, not an alert and never missing.
//	GCS       the names ztf_YYYYMMDD_programid1_<candid>.avro at the bucket root
//	          (nightcount.Objects), and the night's quarantine <prefix><topic>/*.bin with its metadata.
//	BigQuery  the candids of the night in the alerts view (one row per candid), and the
//	          candids with more than one row in alerts_raw.
//
// The alerts of the night are every candid any stage holds. An alert is
// missing from a stage that lacks it, and unexpected in a stage when the
// retained topic lacks it. A stage left unconfigured is not read; a topic
// the brokers no longer retain leaves GCS and BigQuery compared with each
// other.
//
// # Memory
//
// The Kafka pass keeps 24 bytes per message (candid, partition, offset) in
// one slice sized from the offsets at the start, and GCS and BigQuery 8
// bytes per candid (up to twice that while their slices grow). A night of
// 1.2 million alerts is 29 MB for Kafka (58 MB with the 10am replay) and
// 10-19 MB for each store, plus 32 bytes per missing candid; packets are
// read through at most 16 per partition at a time (about 20 MB) and never
// kept.
//
// # Repair
//
// Repair re-reads exactly the missing alerts from Kafka by their offsets
// (sorted per partition) and publishes each unchanged, with the
// connector's attributes, to the alert topic: the function writes the
// object unless it exists, the loader the row unless it has it. Once the
// stages have caught up, a second reconcile finds nothing missing and a
// second repair publishes nothing. Target one stage with InGCS (written
// straight into the bucket by functions.Archiver, nothing published) or
// InBigQuery (only BigQuery's missing are published; the function finds
// their objects written and writes nothing). Alerts no longer retained by
// Kafka are read from their GCS objects for BigQuery.
package reconcile
