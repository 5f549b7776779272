package bqrow

import (
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"time"

	"cloud.google.com/go/bigquery"

	"github.com/ztfbridge/ztfbridge/internal/core/alert"
	"github.com/ztfbridge/ztfbridge/internal/core/attr"
	"github.com/ztfbridge/ztfbridge/internal/core/night"
)

// Options choose the columns of the table.
type Options struct {
	// Cutouts adds the columns cutout_science, cutout_template and
	// cutout_difference (BYTES, the gzip'd FITS as sent). Off by default:
	// the packets, cutouts included, are kept in GCS.
	Cutouts bool
}

// Ingest is where and when the pipeline got an alert.
type Ingest struct {
	Kafka      attr.Kafka // the message's position in Kafka; zero when unknown
	IngestTime time.Time  // when the loader handled it; zero leaves it NULL
}

// Row is the BigQuery row of one alert.
//
// Values gives it as typed Go values, what the loader encodes for the
// Storage Write API (bqloader.RowEncoder): INTEGER columns are int64, so
// candid stays exact from the packet to the table, FLOAT columns float64
// (NaN and ±Inf included), STRING string, BYTES []byte, DATE civil.Date,
// TIMESTAMP time.Time, RECORD map[string]bigquery.Value and REPEATED
// []bigquery.Value. A column is NULL, and left out, when the packet has no
// value for it: the writer schema lacks the field or wrote null.
//
// MarshalJSON and Save give the same values in BigQuery's JSON form, for
// ztfbridge inspect and for tools and tests that use insertAll.
type Row struct {
	a  *alert.Alert
	in Ingest
	o  Options
}

// New returns the row of a. The row reads a when its values are asked
// for: a must not change until then.
func New(a *alert.Alert, in Ingest, o Options) *Row {
	return &Row{a: a, in: in, o: o}
}

// alertAbsent is the index of Alert.Absent.
var alertAbsent = absentIndex(reflect.TypeFor[alert.Alert]())

// Values returns the row's column values as typed Go values, NULL
// columns left out.
func (r *Row) Values() map[string]bigquery.Value {
	m := record(alertColumns(r.o), reflect.ValueOf(r.a).Elem(), alertAbsent)
	k := r.in.Kafka
	if k.Topic != "" {
		m[ColKafkaTopic] = k.Topic
		m[ColKafkaPartition] = int64(k.Partition)
		m[ColKafkaOffset] = k.Offset
	}
	if !k.Timestamp.IsZero() {
		m[ColKafkaTimestamp] = k.Timestamp.UTC()
	}
	if !r.in.IngestTime.IsZero() {
		m[ColIngestTime] = r.in.IngestTime.UTC()
	}
	return m
}

// Save implements bigquery.ValueSaver for insertAll (tabledata.insertAll),
// which tests and tools use; the loader does not. The values are in the
// JSON form of MarshalJSON, and there is no insert id: BigQuery's
// best-effort deduplication does not exist in the Storage Write API, and
// one row per candid is the alerts view's job.
func (r *Row) Save() (map[string]bigquery.Value, string, error) {
	return jsonRecord(r.Values()), bigquery.NoDedupeID, nil
}

// MarshalJSON returns the row's values as a JSON object in BigQuery's
// JSON form: INTEGER values are decimal strings, which BigQuery reads as
// INT64 exactly and which jq and JavaScript keep exact (a JSON number
// passes through float64 there and loses candid's last digits); NaN,
// Infinity and -Infinity are strings, as BigQuery writes them.
func (r *Row) MarshalJSON() ([]byte, error) { return json.Marshal(jsonRecord(r.Values())) }

// jsonRecord returns the JSON form of the values of a record.
func jsonRecord(m map[string]bigquery.Value) map[string]bigquery.Value {
	out := make(map[string]bigquery.Value, len(m))
	for k, v := range m {
		out[k] = jsonValue(v)
	}
	return out
}

// jsonValue returns the JSON form of a value of Values.
func jsonValue(v bigquery.Value) bigquery.Value {
	switch x := v.(type) {
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		switch {
		case math.IsNaN(x):
			return "NaN"
		case math.IsInf(x, 1):
			return "Infinity"
		case math.IsInf(x, -1):
			return "-Infinity"
		}
	case map[string]bigquery.Value:
		return jsonRecord(x)
	case []bigquery.Value:
		out := make([]bigquery.Value, len(x))
		for i, e := range x {
			out[i] = jsonValue(e)
		}
		return out
	}
	return v
}

// Column names that are not fields of the alert record.
const (
	ColSchemaVersion  = "schema_version"
	ColNight          = "night" // the partitioning column
	ColKafkaTopic     = "kafka_topic"
	ColKafkaPartition = "kafka_partition"
	ColKafkaOffset    = "kafka_offset"
	ColKafkaTimestamp = "kafka_timestamp"
	ColIngestTime     = "ingest_time"
)

// derived are the columns of Alert fields that the record does not hold
// (avro:"-"): what the container and the night id say of it.
var derived = map[string]column{
	"SchemaVersion": {
		name: ColSchemaVersion, typ: bigquery.StringFieldType,
		desc: "version attribute of the writer schema in the Avro container header",
		get: func(v reflect.Value) (bigquery.Value, bool) {
			return v.String(), v.String() != ""
		},
	},
	"Night": {
		name: ColNight, typ: bigquery.DateFieldType,
		desc: "UTC date of the observing night (from candidate.nid); the partitioning column",
		get: func(v reflect.Value) (bigquery.Value, bool) {
			n := v.Interface().(night.Night)
			return n.Civil(), !n.IsZero()
		},
	},
}

// ingestColumns describe where the pipeline got the alert.
var ingestColumns = bigquery.Schema{
	{Name: ColKafkaTopic, Type: bigquery.StringFieldType, Description: "Kafka topic the alert was read from, ztf_YYYYMMDD_programid1"},
	{Name: ColKafkaPartition, Type: bigquery.IntegerFieldType, Description: "Kafka partition of the message"},
	{Name: ColKafkaOffset, Type: bigquery.IntegerFieldType, Description: "Kafka offset of the message in its partition"},
	{Name: ColKafkaTimestamp, Type: bigquery.TimestampFieldType, Description: "Kafka timestamp of the message"},
	{Name: ColIngestTime, Type: bigquery.TimestampFieldType, Description: "when ztfbridge loaded the row"},
}

// Schema returns the table schema of alert rows: every column NULLABLE,
// the histories REPEATED.
func Schema(o Options) bigquery.Schema {
	var s bigquery.Schema
	for _, c := range alertColumns(o) {
		s = append(s, c.field())
	}
	for _, f := range ingestColumns {
		f := *f
		s = append(s, &f)
	}
	return s
}

// jsonField is a column in the JSON form of a BigQuery schema.
type jsonField struct {
	Name        string       `json:"name"`
	Type        string       `json:"type"`
	Mode        string       `json:"mode"`
	Description string       `json:"description,omitempty"`
	Fields      []*jsonField `json:"fields,omitempty"`
}

// SchemaJSON returns Schema(o) as the JSON list of columns that
// "bq mk --schema" and terraform's google_bigquery_table accept, every
// mode spelled out.
func SchemaJSON(o Options) ([]byte, error) {
	b, err := json.MarshalIndent(toJSON(Schema(o)), "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

func toJSON(s bigquery.Schema) []*jsonField {
	out := make([]*jsonField, len(s))
	for i, f := range s {
		mode := "NULLABLE"
		switch {
		case f.Repeated:
			mode = "REPEATED"
		case f.Required:
			mode = "REQUIRED"
		}
		out[i] = &jsonField{Name: f.Name, Type: string(f.Type), Mode: mode, Description: f.Description, Fields: toJSON(f.Schema)}
	}
	return out
}
