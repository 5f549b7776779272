// Package connector bridges the nightly ZTF Kafka topics into Pub/Sub, with
// no loss: it is what "ztfbridge connect" runs on a VM all night, for
// months, unattended.
//
// # What comes in, what goes out
//
// In: the Kafka messages of the consumed topics, each one ZTF alert packet
// (an Avro container file of 46-90 KB). Out: for each message, one Pub/Sub
// message on the alert topic (--pubsub-topic, default ztf-alerts) whose
// data is the Kafka message's bytes, unchanged, and whose attributes
// (package attr) are
//
//	kafka.topic, kafka.partition, kafka.offset, kafka.timestamp   where it was in Kafka
//	candid, objectId, schemavsn, night                            read from the packet
//
// The packet fields are read with alert.Decoder.Summarize, which skips the
// cutouts and histories; one Decoder serves the whole process and parses
// each writer schema once.
//
// Messages that cannot be published as alerts go to the dead-letter topic
// instead (see Dead letters). With --dedup-replay a replayed alert may be
// dropped (see Replay dedup).
//
// # Which topics
//
// By default the connector consumes tonight's topic,
// ztf_YYYYMMDD_programid1 for the current UTC date, and moves to the next
// night's topic by itself at 00:00 UTC. It keeps last night's topic in its
// subscription for as long as the group's committed offsets on it trail its
// end, so a backlog at midnight is finished, not abandoned; a brand-new
// group does not read yesterday. Otherwise: --topic T consumes T alone
// (backfill of a past night), --topics A,B a fixed list, --topic-regex R
// every topic whose whole name matches R.
//
// A topic that does not exist yet (tonight's, before ZTF creates it) is not
// an error: it is logged once and looked for again every
// --topic-poll-interval. When the subscription changes, every member leaves
// its session (draining and committing, see below) and joins again.
//
// A group that has no committed offset on a partition starts at its oldest
// offset, so a VM started late in the night still gets the whole night.
//
// # Parallelism
//
// --consumers N runs N members of the consumer group in this process, each
// with its own Kafka client, like fink-client's data transfer runs N
// consumers of one group. Kafka shares the partitions among them (and
// among the members of other connector processes with the same --group).
// Within a member, sarama runs one goroutine per assigned partition. N
// members rather than N workers behind one member, because then the
// fetching (connections, decompression) is parallel too, and a partition
// still has exactly one reader, which keeps its offsets in order.
//
// Each partition goroutine takes up to --batch-size messages that are
// ready, publishes them, and hands the batch to the partition's
// acknowledger. All members share one Pub/Sub publisher per topic, which
// groups messages into requests of --publish-batch-count messages or
// --publish-batch-bytes bytes.
//
// # Memory
//
// Bounded at any backlog by: the publisher's flow control, which makes
// Publish (and so the reading of Kafka) wait while
// --max-outstanding-bytes or --max-outstanding-messages are unacknowledged;
// Kafka's buffers, --batch-size messages and one --fetch-bytes fetch per
// assigned partition; and, with --dedup-replay, the candid sets (below).
//
// # At least once: the argument
//
// Claim: every message of a consumed partition reaches Pub/Sub (the alert
// or dead-letter topic) at least once, whatever happens to the process: a
// kill -9 at any moment, SIGTERM, a rebalance, a Pub/Sub outage.
//
//  1. A restarted or new owner of a partition starts reading at the group's
//     committed offset (or the oldest offset when there is none).
//  2. The connector commits only offsets it marked, and marks offset n+1 of
//     a partition only after Pub/Sub acknowledged every message of that
//     partition up to n. The acknowledger of a partition waits for the
//     publish results in offset order, so whatever order Pub/Sub answers
//     in, the marked offset is the contiguous acknowledged watermark. A
//     replayed alert dropped by --dedup-replay counts as acknowledged only
//     once its earlier copy is; if that copy's publish fails, the replayed
//     one is published instead.
//  3. A publish that fails is published again (with backoff) while the
//     partition is owned; the acknowledger does not move past it, so a
//     failing message blocks its partition's commits, never loses them.
//  4. A dead letter is a publish like any other: its offset too is marked
//     only once the dead-letter topic acknowledged it.
//  5. Hence at any moment every message below the committed offset was
//     acknowledged by Pub/Sub, which keeps acknowledged messages. When the
//     process dies, the next owner resumes at the committed offset (1) and
//     publishes everything from there again: nothing is lost, and what was
//     acknowledged after the last commit is published twice.
//
// Duplicates are therefore normal (after a crash, a rebalance, a publish
// retried after a timeout, and the 10am replay); downstream is idempotent
// per candid. Offsets are committed every --commit-interval, so a kill -9
// repeats at most that much plus what was in flight.
//
// # Stopping: SIGTERM and rebalances
//
// When Run's context is cancelled (SIGTERM from a VM stop or preemption),
// or a rebalance or a subscription change ends the session, every
// partition stops reading at once, waits up to --drain-timeout for the
// messages it already published, marks what was acknowledged, and sarama
// commits the marks before the partitions are released. So after a clean
// stop the committed offsets are the end of what was read, and a clean
// rebalance repeats nothing. Kafka allows a revoked partition
// --drain-timeout plus 15 s to be released.
//
// After a kill -9 the group waits for the dead members' session to expire
// (10 s with sarama's default) before their partitions are given out
// again.
//
// # Dead letters
//
// A message goes to the dead-letter topic (--deadletter-topic, default
// ztf-alerts-deadletter) when it is not one decodable alert:
//
//	reason undecodable    not an Avro container the decoder reads (truncated, no header, not ZTF)
//	reason not_one_alert  a container holding 0 or several records
//	reason too_large      above --max-message-bytes (Pub/Sub takes at most 10 MB): sent WITHOUT data
//
// The dead letter keeps the Kafka bytes as data (except too_large), the
// Kafka attributes, and attr.Error = "<reason>: <detail>" (at most 1024
// bytes). It is counted (ztfbridge_connector_dead_lettered_total{reason}),
// logged at most once a minute per reason, and never blocks its partition.
//
// # Replay dedup
//
// ZTF replays the whole night at about 10am. With --dedup-replay the
// connector remembers the candid of every alert it published for the two
// most recent nights, at most --dedup-max per night (default 1,500,000; a
// night is up to 1.2 million), and drops an alert whose candid it already
// published for that night, or is publishing (then the drop waits for that
// publish, and is undone if it fails: a backlog that holds both copies is
// still published once). Memory: at most 40 bytes per candid (a Go map
// of int64; 24-38 B measured), so at most 2 x --dedup-max x 40 B = 120 MB
// at the default. A full night publishes
// further alerts without the check. The sets are in memory only: after a
// restart earlier alerts are published again. Downstream dedup stays the
// guarantee; this only saves the traffic.
//
// # Counts
//
// With --counts-bucket the connector keeps, per Kafka topic, a JSON object
// _ztfbridge/connector/<topic>.json holding Counts: published,
// dead_lettered and replay_dropped acknowledged by Pub/Sub, and
// updated_at. It adds its increments every --counts-interval and when it
// stops, each as a read-add-write guarded by the object's generation, so
// restarts and several connectors sharing a group accumulate into one
// object. ReadCounts reads it ("ztfbridge count" does).
//
// The figure counts publishes, not distinct alerts: a message published
// twice (redelivery, the replay without --dedup-replay) counts twice.
// After a kill -9 the increments of the last --counts-interval are lost,
// while the messages after the last commit are published and counted
// again, so the object can be low by up to one interval of traffic; after
// SIGTERM it is exact for what was acknowledged.
//
// # Observability
//
// Prometheus metrics on --metrics-addr (/metrics, /healthz):
//
//	ztfbridge_connector_consumed_total            Kafka messages read
//	ztfbridge_connector_published_total           alerts acknowledged on the alert topic
//	ztfbridge_connector_publish_failures_total    failed publish attempts (each retried)
//	ztfbridge_connector_dead_lettered_total       dead letters acknowledged, by reason
//	ztfbridge_connector_replay_dropped_total      replayed alerts dropped by --dedup-replay
//	ztfbridge_connector_lag{topic,partition}      end offset - committed offset, every --topic-poll-interval
//	ztfbridge_connector_publish_latency_seconds   Publish to acknowledgement
//	ztfbridge_connector_dedup_candids             candids held by --dedup-replay
//
// Logs are JSON (package logging) for Cloud Logging. The SASL password is
// never logged: Config's LogValue leaves it out.
//
// # Configuration
//
// Config holds every setting; DefaultConfig has the defaults and AddFlags
// maps each field to one flag (and so to one ZTFBRIDGE_* variable). Kafka
// TLS (--tls, --tls-ca-file, client certificates) and SASL (PLAIN,
// SCRAM-SHA-256, SCRAM-SHA-512) are off by default, as the public ZTF
// stream uses neither; give the password with ZTFBRIDGE_SASL_PASSWORD or
// --sasl-password-file.
package connector
