// Package functions is the Cloud Function that stores every ZTF alert in
// Google Cloud Storage, one object per alert, written once.
//
// # What comes in
//
// The connector publishes each Kafka alert message to the Pub/Sub topic
// ztf-alerts: the message data is the alert packet (an Avro container file,
// 46-90 KB) unchanged, and the attributes of package attr say where it came
// from (kafka.topic, kafka.partition, kafka.offset, kafka.timestamp) and
// what it is (candid, objectId, schemavsn, night). A push subscription
// POSTs each message to the function (a Pub/Sub push request);
// Archiver.ServeHTTP is the function, and also takes the binary-mode
// CloudEvent of type google.cloud.pubsub.topic.v1.messagePublished that an
// Eventarc trigger would deliver.
//
// # What goes out
//
// One object per alert in the configured bucket, named
//
//	<prefix>ztf_YYYYMMDD_programid1_<candid>.avro
//
// where ztf_YYYYMMDD_programid1 is the message's kafka.topic attribute, or,
// when a message has none, the topic of the night read from the packet
// (internal/core/night.ObjectName). The prefix is empty by default, so that
//
//	gsutil ls 'gs://BUCKET/ztf_20240101_programid1_*.avro' | wc -l
//
// counts the alerts of a night. The object holds the message data byte for
// byte, with content type application/avro and metadata objectId, candid,
// ra, dec, schemavsn, the kafka.* coordinates and pubsub.messageId.
//
// A message that is not an alert (not an Avro container, truncated, not
// ZTF, several records, malformed attributes) is not lost and not retried
// forever: it is written under the quarantine prefix (quarantine/ by
// default) as quarantine/<kafka topic>/<sha256 of the data>.bin, with every
// attribute of the message and the reason in the "error" metadata key.
//
// # When it acknowledges
//
// ServeHTTP answers 200, so Pub/Sub acknowledges the message, exactly when the message's bytes are in the
// bucket:
//
//   - stored: the object did not exist and has been created;
//   - duplicate: the object already existed (a redelivery, the 10am replay
//     of the night, or a concurrent delivery that won the race); nothing is
//     written;
//   - quarantined: the message is not an alert and its bytes are now under
//     the quarantine prefix (or were already).
//
// Anything else answers 500, so Pub/Sub
// delivers the message again: GCS failing after the client's own retries,
// the invocation's deadline, an instance shutting down (Archiver.Close). No
// message is acknowledged before its bytes are stored, so none is lost;
// what remains to show is that redeliveries do not duplicate.
//
// # Why each alert is written once
//
// Every upload carries the precondition DoesNotExist (ifGenerationMatch=0):
// GCS creates the object only if no live object has that name, atomically,
// and answers 412 Precondition Failed otherwise. The name depends only on
// the alert (its night's topic and its candid), and a candid identifies one
// alert, so every delivery of one alert, whenever it happens and on
// whichever instance, aims at the same name:
//
//   - a redelivery after a lost acknowledgement, and the 10am replay,
//     find the object and count a duplicate without rewriting it, so its
//     generation, creation time and metadata are those of the first write;
//   - two deliveries racing on one name (two instances, or a redelivery
//     while the first attempt is still uploading) are ordered by GCS: one
//     creates the object, the other gets 412. Exactly one object remains.
//   - an upload interrupted midway leaves nothing: a GCS object appears only
//     when its upload completes, so the next delivery writes it whole.
//
// The client retries transient failures itself, which is safe because the
// precondition makes the upload idempotent; if a retried upload had in fact
// succeeded the first time, the retry sees 412 and the delivery counts as a
// duplicate, with the object stored once all the same. Quarantined messages
// are named by a hash of their bytes, so they too are written once.
//
// # Counting
//
// Each Archiver counts its outcomes (Counts) and logs one JSON line per
// message with the outcome, the object name and the running totals
// stored_total, duplicates_total and quarantined_total; quarantines log at
// WARNING, failures at ERROR. The counts are per instance: the bucket is
// the authority for a night.
//
// # Configuration and lifetime
//
// Config holds the bucket, the prefix template and the quarantine prefix.
// The deployed function reads them from ZTFBRIDGE_BUCKET, ZTFBRIDGE_PREFIX
// and ZTFBRIDGE_QUARANTINE_PREFIX (FromEnv), the same names as the flags of
// "ztfbridge serve-function". One Archiver, with one storage client, serves
// every message of a process: FromEnv builds it on the first message and
// keeps it; the client's connections are reused across invocations.
//
// # Deploying and running locally
//
// Package entrypoint registers FromEnv with the functions framework as the
// HTTP function EntryPoint (StoreAlert); package sourcezip builds the
// source archive for Runtime (go126). Serve runs the same handler locally
// with net/http, for the push subscriptions of a Pub/Sub emulator. This
// package holds no process-wide state. See docs/function.md.
package functions
