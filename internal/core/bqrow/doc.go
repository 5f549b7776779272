// Package bqrow maps decoded ZTF alerts to BigQuery rows, and gives the
// table schema of those rows.
//
// # One definition
//
// The schema is not written by hand: Schema derives it from the Go structs
// of package alert (alert.Alert, Candidate, PrvCandidate, FPHist), which
// hold the union of the fields of ZTF schema versions 1.7 to 4.02. Column
// names are the ZTF field names (their avro tags), descriptions come from
// the doc tags, which repeat ZTF's schema docs. terraform/schema/alerts.json
// is SchemaJSON's output, checked by a test; regenerate it with
//
//	go generate ./internal/core/bqrow
//
// # Columns
//
//	candid           INTEGER    the alert's candid, exact
//	objectId         STRING
//	schemavsn        STRING     as written in the record
//	schema_version   STRING     the writer schema's version attribute
//	night            DATE       UTC night (from candidate.nid); partitioning column
//	publisher        STRING
//	candidate        RECORD     every candidate field
//	prv_candidates   RECORD     REPEATED: detections and upper limits (candid NULL)
//	fp_hists         RECORD     REPEATED: forced photometry (schema 4.x)
//	cutout_science, cutout_template, cutout_difference
//	                 BYTES      only with Options.Cutouts: gzip'd FITS as sent
//	kafka_topic, kafka_partition, kafka_offset, kafka_timestamp
//	                            where the connector read the message
//	ingest_time      TIMESTAMP  when the loader handled it
//
// Every column is NULLABLE except the REPEATED histories: an older packet
// fills the columns its version has and leaves the others NULL.
//
// # Values
//
//   - Integers (candid, the ids, ints and longs) are sent as decimal
//     strings, which BigQuery reads as INT64 exactly; as JSON numbers they
//     would pass through float64 in some readers and lose candid's digits.
//   - Floats that ZTF writes as Avro float (32 bits) are widened to the
//     double that prints the same: magpsf 18.5432 loads as 18.5432 rather
//     than 18.543199539184570. Doubles are loaded as they are.
//   - NaN and ±Inf become NULL: BigQuery's JSON rejects them.
//   - ZTF's placeholders are kept as ZTF wrote them, they are not NULL:
//     -999 in candidate and prv_candidates fields means "no such source" or
//     "not measured" (the nearest reference source distnr, magnr, sigmagnr,
//     chinr, sharpnr, ranr, decnr; the PS1 matches objectidps*, sgmag*,
//     srmag*, simag*, szmag*, sgscore*, distpsnr*; Gaia neargaia*,
//     maggaia*; the nearest solar system object ssdistnr, ssmagnr);
//     -99999 in fp_hists fields means "not measured" (forcediffimflux,
//     forcediffimfluxunc, the nearest-source fields); candidate.ssnamenr is
//     the string "null" when no known solar system object is near. Filter
//     them in queries (WHERE magnr > -999).
//   - Upper limits in prv_candidates have candid NULL (and no magpsf).
//
// # Unknown fields
//
// A packet of a future version with fields the Go definition lacks still
// decodes and loads: the new fields are not in the row. To load one, add
// it to the struct in package alert, regenerate the schema, and add the
// column to the table (adding NULLABLE columns is a compatible change).
//
// # Deduplication
//
// Row.Save returns the candid as insert id, which makes BigQuery drop
// retries of the same row within about a minute; exactly one row per
// candid over longer spans (ZTF replays a night at 10am) is the loader's
// job.
package bqrow

//go:generate sh -c "go run ../../cmd/ztfbridge schema > ../../terraform/schema/alerts.json"
