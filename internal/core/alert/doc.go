// Package alert decodes ZTF alert packets.
//
// # What a packet is
//
// ZTF publishes each alert as one Kafka message whose bytes are an Avro
// object container file: the magic "Obj\x01", a header holding the writer
// schema (avro.schema) and the block codec (avro.codec), then blocks of
// records, each ending with the header's 16-byte sync marker. A real packet
// holds one record in one uncompressed block, 46 to 90 KB, most of it the
// three cutouts. Brokers write containers with several records; Decode
// returns one Alert per record, in order.
//
// # What is decoded
//
// Every record is read with the writer schema of its own container,
// whatever its version (1.1 to 4.02, and later versions that add fields),
// into the Go types of this package: Alert, Candidate, PrvCandidate,
// FPHist and Cutout. These structs are the one definition of an alert in
// ztfbridge: the union of the fields of ZTF schema versions 1.7 to 4.02,
// named by their avro tags and described by their doc tags (the BigQuery
// schema is derived from them, see package bqrow).
//
//   - candid stays an exact int64 (it reaches 3.4e18, beyond float64).
//   - prv_candidates holds detections and upper limits; an upper limit has
//     a null candid (PrvCandidate.IsUpperLimit, Alert.UpperLimits).
//   - fp_hists (schema 4.x) is forced photometry: 29 fields, procstatus a
//     string of status codes.
//   - The cutouts keep their bytes as sent: gzip-compressed FITS.
//   - Alert.SchemaVersion is the writer schema's "version" attribute from
//     the container header, Alert.SchemaVsn the record's schemavsn field.
//     They can disagree (packets of November 2018 say 3.1 and "3.2").
//   - Alert.Night is the UTC date of the night: candidate.nid counts days
//     from 2017-01-01 (and candids start with those digits). Packets
//     without a nid (pre-survey simulations) take the date of
//     candidate.jd. Alert.Topic names the night's Kafka topic.
//
// Values are kept as ZTF wrote them, placeholders included:
//
//   - -999 in candidate and prv_candidates fields means "no such source"
//     or "not measured": the nearest reference source (distnr, magnr,
//     sigmagnr, chinr, sharpnr, ranr, decnr), the PS1 matches (objectidps*,
//     sgmag*, srmag*, simag*, szmag*, sgscore*, distpsnr*), Gaia
//     (neargaia*, maggaia*), the nearest solar system object (ssdistnr,
//     ssmagnr), and some shape ratios of old histories.
//   - -99999 in fp_hists fields means "not measured" (forcediffimflux,
//     forcediffimfluxunc and the nearest-source fields).
//   - candidate.ssnamenr is the string "null" when no known solar system
//     object is near.
//   - Float fields may hold NaN in simulated packets.
//
// Consumers decide what to do with them; package bqrow documents what
// BigQuery gets.
//
// # What the packet did not say
//
// A field held by value (candid, jd, rfid, rbversion, ...) cannot be nil,
// yet not every packet gives it a value: older versions lack fields (a
// 1.7 packet has no schemavsn, publisher, rfid, jdstartref, jdendref,
// nframesref, rbversion, nmatches or drbversion; pre-survey simulations
// lack objectId, ndethist, ranr and more), ZTF's prv_candidate has no rfid
// at all, and Fink's schemas may write null anywhere. Such a field holds its zero value and is in the
// Absent FieldSet of its struct (Alert, Candidate, each PrvCandidate and
// FPHist): 0 or "" in a field not in Absent is what the packet says. The
// fields a writer schema lacks are found once, when its plan is made;
// nulls are found record by record.
//
// Fields a writer has that the Go definition lacks (a future version's
// additions, fields of pre-1.7 versions, a broker's extra columns) are
// skipped: decoding still works, the field is just not in the Alert.
// Alert.Writer.Unmapped lists them, as dotted paths, once per writer
// schema. To keep such a field, add it to the struct with its avro tag.
//
// # Writer schemas that strict libraries reject
//
// Most ZTF writer schemas are invalid under the Avro spec: unions such as
// ["float","null"] with "default": null, or tooflag ["null","int"] with
// "default": 0. Defaults play no part in reading data with the schema that
// wrote it, so every "default" attribute is removed before the schema is
// parsed. Union branches are never reordered: the binary data depends on
// their order, which differs between files of the same version.
//
// Each distinct writer schema is parsed once (about 3 ms for a 4.02 schema)
// with a name cache of its own, because versions reuse record names for
// different fields, and kept in the Decoder keyed by the schema bytes:
// packets carrying the same schema share one parse.
//
// The Go types fit ZTF's own schemas exactly. Writers whose fields have
// other shapes still decode: Fink's broker schemas make every field
// nullable, old simulations wrote isdiffpos as an int. For those the
// Decoder builds, once per schema, a struct type with the writer's shapes
// and converts each record into the Go types: null becomes the zero value
// of a field held by value (and the field is Absent), int and float widen
// to long and double, an int becomes its decimal string; a field that
// cannot be converted is skipped (and Unmapped).
//
// # What is a ZTF alert
//
// A container is decoded when its writer schema is a record with a candid
// field and a candidate record: the shape of a ZTF alert. Brokers that add
// fields to that shape (Fink's Spark exports) decode like ZTF packets,
// since extra fields must never break decoding. Other alert streams, such
// as ELAsTiCC packets with diaSource records, are rejected with ErrNotZTF.
//
// # Broken input
//
// Decode never panics and never returns part of a container. Its errors
// wrap one of:
//
//   - ErrNotContainer: empty input, random bytes, or a bare Avro datum
//     without container header (it cannot be read without its schema).
//   - ErrCorrupt: a truncated or damaged container: header, schema,
//     codec, block sizes, sync markers, records that end early, bytes
//     left over after a block's records. Codecs null, deflate and snappy
//     are read; others are reported here.
//   - ErrNotZTF: a well-formed container of something else.
//
// To bound what a hostile packet can allocate, a string or bytes value may
// be at most 16 MiB, an array at most 16384 entries, a block at most
// 65536 records and 64 MiB once decompressed; the Decoder keeps at most
// 64 parsed schemas.
//
// # Fast paths
//
// Summarize reads only the ids, night and position of each alert (for
// message attributes), skipping histories and cutouts without allocating
// them.
package alert
