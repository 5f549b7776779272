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
// Every value in a row is what the packet says, and only that:
//
//   - NULL means the packet has no value: the writer schema lacks the field
//     (rfid in prv_candidates, which ZTF never had; drbversion, rfid,
//     nmatches and others in older versions) or wrote null. Fields the
//     Go structs hold by value are NULL when they are in the struct's
//     Absent set (see package alert). 0 and "" are values ZTF wrote.
//   - Row.Values gives typed Go values, built once, which the loader's
//     bqloader.RowEncoder writes as protocol-buffer fields for the Storage
//     Write API: INTEGER columns are int64 from the decoded packet to the
//     wire, so candid (up to 3.4e18, beyond float64) stays exact without
//     passing through text; FLOAT float64, STRING string, BYTES []byte,
//     DATE civil.Date, TIMESTAMP time.Time.
//   - Floats that ZTF writes as Avro float (32 bits) are widened to the
//     double that prints the same: magpsf 18.5432 loads as 18.5432 rather
//     than 18.543199539184570, and converts back to the same float32.
//     Doubles are loaded as they are.
//   - NaN, +Inf and -Inf are loaded as FLOAT64 NaN, Infinity and
//     -Infinity, which BigQuery holds and the Storage Write API carries.
//     The local emulator cannot: it refuses an append with a NaN or an
//     infinity in a RECORD column ("json: unsupported value"): there such
//     a row is refused like any row BigQuery refuses (see package
//     bqloader). No packet of the test corpus holds one.
//   - Row.MarshalJSON (ztfbridge inspect --row) and Row.Save (insertAll,
//     for tests and tools) give BigQuery's JSON form: INTEGER values as
//     decimal strings, exact in BigQuery, jq and JavaScript, which read
//     JSON numbers as float64; NaN, Infinity and -Infinity as those
//     strings; NULL columns left out.
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
// # Fields without a column
//
// Fields of a writer schema that the Go definition lacks (a broker's extra
// fields, such as the ~60 Fink adds; a future version's additions; fields
// of pre-1.7 versions) have no column. They are not loaded, and not put in
// a JSON column either: the packet, which GCS keeps whole, is where they
// live. Keeping them in the row would load dozens of untyped values per
// broker alert that ZTF's own stream never carries, and a field that later
// gets its column would be in two places. They are not lost in silence:
// the decoder lists them per writer schema (alert.Schema.Unmapped), and
// the loader counts them (ztfbridge_bqloader_unmapped_fields_total, by
// writer schema) and logs them once per schema. To load one, add it to the
// struct in package alert, regenerate the schema, and add the column to
// the table (adding NULLABLE columns is a compatible change).
//
// # Deduplication
//
// Rows carry no insert id: the Storage Write API has none, and BigQuery's
// best-effort insertAll deduplication lasts about a minute anyway. Exactly
// one row per candid (ZTF replays a night at 10am) is the loader's job
// and the alerts view's.
package bqrow

//go:generate sh -c "go run ../../../cmd/ztfbridge schema > ../../../terraform/schema/alerts.json"
