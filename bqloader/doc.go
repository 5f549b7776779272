// Package bqloader streams ZTF alerts from Pub/Sub into BigQuery, so that
// analysts find exactly one row per candid, despite the 10am replay of
// every night, loader restarts and several loaders at once.
//
// "ztfbridge load" runs it; docs/bigquery.md is the analysts' side.
//
// # What comes in, what goes out
//
// In: the messages of the loader's own subscription (--subscription) of the
// alert topic, as the connector publishes them: the data is one alert
// packet (an Avro container file), the attributes say where it was in Kafka
// (package attr).
//
// Out, in the dataset (--dataset, default ztf):
//
//	alerts_raw    table  every row written, partitioned by day on night,
//	                     clustered by objectId and candid; a candid may be
//	                     there twice
//	alerts        view   one row per candid: what analysts query
//	light_curve   view   one row per detection and upper limit of an object
//	night_counts  view   per night: rows, candids, duplicate rows, objects
//
// The columns are bqrow's (ztfbridge schema prints them). The views are
// the SQL files of bqloader/sql (ViewFiles), run at every start as CREATE
// OR REPLACE VIEW with ${project} and ${dataset} replaced; terraform renders
// the same files with templatefile. Messages that cannot be loaded go,
// unchanged, to the dead-letter topic (--deadletter-topic), with the reason
// in the "error" attribute.
//
// # The story of a message
//
// Loader.Run receives; handle (loader.go) decodes the packet, skips it when
// its candid already has a row, encodes the row and hands it to the batcher,
// then waits. The batcher cuts batches by rows (--batch-rows), bytes
// (--batch-bytes) and age (--batch-delay) and writes up to --writes-in-flight
// of them at once with the writer, which appends them to the default stream
// of alerts_raw with the Storage Write API. When BigQuery has acknowledged
// an append, its candids are added to the candid set and their messages are
// acked.
//
// # At least once
//
// A message is acked only after its row is durable: the default stream
// commits an append when BigQuery acknowledges it, and only then does
// writeBatch tell the waiting handler, which acks. A dead letter is acked
// only after the dead-letter topic has it. Everything else is nacked or
// left to its ack deadline, and Pub/Sub delivers it again: a crash loses
// nothing. On SIGTERM, Run stops receiving, writes what it holds and acks
// it if BigQuery takes it within --drain-timeout, and nacks the rest.
//
// # Exactly one row per candid
//
// At least once means a candid can be written twice: ZTF replays the whole
// night at 10am; a loader can stop between a write and its ack; two loaders
// can each get a copy of a message (redelivery) or of the same alert (the
// replay) at the same moment. BigQuery's insertId dedup is best effort (about
// a minute) and does not exist in the Storage Write API nor in the emulator.
// So the guarantee is in the data model, with an optimisation in front:
//
//   - The guarantee: analysts query the alerts view, which keeps one row per
//     candid of alerts_raw (QUALIFY ROW_NUMBER() OVER (PARTITION BY night,
//     objectId, candid ORDER BY ingest_time, Kafka position) = 1). It holds
//     whatever alerts_raw holds, so no interleaving of loaders can break it.
//     A candid determines its night and objectId, so partitioning the window
//     by them too changes no result but lets BigQuery push filters on night
//     and objectId below the window: queries still prune partitions and
//     clusters.
//   - The optimisation: a candid set per night (seen.go) keeps the replay
//     out of alerts_raw. New reads the candids of the last --dedup-nights
//     nights from alerts_raw, a night not seen before is read when its first
//     alert comes, the set is refreshed from the table every --dedup-refresh
//     (rows other loaders wrote), and each row this loader writes is added.
//     A message whose candid is in the set is acked without a write. About
//     40 bytes per candid: 2 nights of 1.2 million alerts is about 100 MB.
//
// Why not a compacted table made by MERGE: MERGE, UPDATE and DELETE cannot
// touch rows still in the streaming buffer of the legacy insertAll API (up
// to 90 minutes), a MERGE per batch would cost a query per batch, and the
// emulator's MERGE takes only a plain table as its source. The view needs
// none of that. When scanning alerts_raw through the view costs too much, a
// finished night can be copied once from the view into a table of its own
// (CREATE TABLE ... AS SELECT * FROM alerts WHERE night = ...): idempotent,
// off the write path.
//
// Failure modes, and what each costs:
//
//   - Crash or SIGKILL between an append and its acks: the messages come
//     again; the restarted loader's set was read from the table, so they are
//     acked as duplicates. A write that BigQuery committed but whose answer
//     was lost is retried and lands twice in alerts_raw: the view hides it.
//   - Two loaders on one candid at once (a redelivery to the other loader,
//     or the replay while the first write is in flight, or before a refresh
//     showed the other loader's rows): both write; alerts_raw holds two rows,
//     the view one. night_counts.duplicate_rows counts them.
//   - The candid set cannot be read (BigQuery unavailable at start): the
//     night is treated as empty until a refresh succeeds; the replay is
//     written again, the view hides it.
//   - More nights in flight than --dedup-nights (a backfill of old nights):
//     the least recently used night is forgotten and read again when it
//     comes back; one query per switch.
//   - An append BigQuery never answers (seen on the emulator): after
//     --append-timeout it counts as failed and is retried; if it had
//     landed, the view hides the second copy.
//   - BigQuery down: appends are retried with backoff until it answers,
//     messages stay unacked, Pub/Sub flow control stops the intake
//     (--max-outstanding-messages, --max-outstanding-bytes): memory stays
//     bounded, the backlog waits in Pub/Sub (7 days by default). After an
//     hour a message's ack deadline is no longer extended and Pub/Sub
//     redelivers it; if the first copy's write then succeeds too, the view
//     hides the second.
//
// # Rows BigQuery refuses
//
// A row BigQuery refuses (a value out of range, say) must neither be dropped nor hold back the rows batched with it. The
// writer retries an append without the rows BigQuery names in its row
// errors; an append refused as a whole (InvalidArgument, or, as the
// emulator does, an internal error or a dropped connection while BigQuery
// otherwise answers) is split in halves down to the rows that fail alone.
// Those are published to the dead-letter topic with reason "rejected", the
// message unchanged and the candid and objectId attributes set, then acked.
// A lone row is declared refused only if BigQuery took other rows since its
// batch was first tried: during an outage nothing is dead-lettered.
// Undecodable packets ("undecodable"), containers holding other than one
// alert ("not_one_alert") and values the table's columns cannot hold
// ("unencodable") are dead-lettered the same way before any write. If the
// dead-letter topic is unreachable the message is nacked.
//
// # Why the Storage Write API
//
// The loader appends to the table's default stream (committed at once,
// at-least-once, no stream to finalize) through managedwriter. encode
// (loader.go) builds the row's typed values once (bqrow.Row.Values) and
// RowEncoder writes each as the protocol-buffer field of its column, in a
// message derived from the table's schema: an int64 is a varint, a float64
// a double, with no decimal text and no reflection in between. So candid
// stays exact the same way in bqrow and here: it is an int64 from the
// decoded packet to the wire. Against the emulator v0.8.1 this is also the
// only exact path: its insertAll (tabledata.insertAll) decodes JSON numbers
// as float64, so candid 3400000000000000001 is stored as
// 3400000000000000000, and stores a BYTES value as the text of its base64;
// the Storage Write API carries int64 and bytes as they are. On Google
// Cloud it is also the cheaper API, and it has no insertId: rows carry
// none. NaN and ±Inf are sent as they are; BigQuery's FLOAT64 holds them
// (the emulator does not, see below).
//
// Fields of a writer schema that have no column (a broker's extra fields,
// see bqrow) are not loaded: the packet in GCS has them. encode counts
// them per alert in unmapped_fields_total{schema} and logs the fields of
// each writer schema once (unmapped.go).
//
// # Schema changes
//
// New compares alerts_raw with bqrow.Schema, nested fields included. In
// production Terraform owns the table (terraform/schema/alerts.json) and a
// table that lacks a column the loader writes stops New with the missing
// columns named (CheckTables). With CreateResources New adds them itself
// (EnsureTables): adding NULLABLE or REPEATED columns is compatible, and the
// views are re-created with them. A column whose type changed is an error
// at start that needs a migration. The write stream's proto message is
// made from the table's schema.
//
// # Memory and throughput
//
// A handler holds its message until the message is settled, so the loader
// holds at most --max-outstanding-messages messages and
// --max-outstanding-bytes bytes, plus the candid set; keep
// --max-outstanding-messages at least --batch-rows times
// --writes-in-flight so batches fill. "ztfbridge-dev bench load" prints the
// loader's own CPU per alert next to the managedwriter client's alone.
//
// # Metrics
//
// On --metrics-addr, with the Go and process collectors:
// ztfbridge_bqloader_received_total, _rows_written_total,
// _duplicates_dropped_total, _dead_lettered_total{reason},
// _nacked_total, _write_errors_total{kind}, _write_latency_seconds,
// _batch_rows, _dedup_candids and _unmapped_fields_total{schema} (fields
// of loaded alerts without a column, by writer schema id). Logs are JSON (package logging); each
// dead letter is logged with its reason and candid.
//
// # The local emulator
//
// goccy/bigquery-emulator v0.8.1 differs from BigQuery in ways the loader
// works around or the tests respect:
//
//   - an append that does not name its stream goes to any stream of any
//     table: the client multiplexes, which names the stream on every append
//     (see Config.storageWriteClientOptions);
//   - CREATE OR REPLACE VIEW fails on an existing view: EnsureTables keeps
//     the view then (BigQuery replaces it);
//   - a schema update changes the table's metadata but not its storage:
//     the added columns cannot be written or queried there;
//   - a request above 4 MB is refused (--batch-bytes defaults to 3.5 MB);
//   - its own in-memory storage gives each SQLite connection a private,
//     empty database, so a query running beside an append answered "no
//     such table" and good rows were refused: tools/bqemulator runs it on
//     the memdb VFS (one database shared by every connection) with
//     immediate transactions and a busy timeout, which also keeps two
//     loaders' appends from failing with "database is locked";
//   - a refused value fails the whole append with an internal error, and
//     the next append on the connection with EOF, instead of naming the
//     rows;
//   - it stores RECORD columns as JSON, which has no NaN or Infinity: a row
//     with a NaN or an infinity in candidate, prv_candidates or fp_hists
//     is refused ("json: unsupported value"), where BigQuery takes it.
package bqloader
