package bqrow

import (
	"encoding/json"
	"reflect"
	"strconv"
	"time"

	"cloud.google.com/go/bigquery"
	"cloud.google.com/go/civil"

	"github.com/ztfbridge/ztfbridge/internal/core/alert"
	"github.com/ztfbridge/ztfbridge/internal/core/attr"
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

// Row is the BigQuery row of one alert. It implements bigquery.ValueSaver
// and json.Marshaler (the same values as JSON, as insertAll sends them).
type Row struct {
	a  *alert.Alert
	in Ingest
	o  Options
}

// New returns the row of a. The row reads a when it is saved: a must not
// change until then.
func New(a *alert.Alert, in Ingest, o Options) *Row {
	return &Row{a: a, in: in, o: o}
}

// Save returns the row's values and its insert id, the candid in decimal:
// BigQuery's best-effort deduplication drops a second insert of the same
// candid within about a minute. Columns that are NULL are left out.
func (r *Row) Save() (map[string]bigquery.Value, string, error) {
	return r.Values(), r.InsertID(), nil
}

// InsertID returns the row's insert id: the candid in decimal.
func (r *Row) InsertID() string { return strconv.FormatInt(r.a.Candid, 10) }

// Values returns the row's column values, NULL columns left out.
func (r *Row) Values() map[string]bigquery.Value {
	m := make(map[string]bigquery.Value, 20)
	for _, c := range alertColumns(r.o) {
		if v, ok := c.value(r.a); ok {
			m[c.name] = v
		}
	}
	k := r.in.Kafka
	if k.Topic != "" {
		m[ColKafkaTopic] = k.Topic
		m[ColKafkaPartition] = strconv.FormatInt(int64(k.Partition), 10)
		m[ColKafkaOffset] = strconv.FormatInt(k.Offset, 10)
	}
	if !k.Timestamp.IsZero() {
		m[ColKafkaTimestamp] = k.Timestamp.UTC()
	}
	if !r.in.IngestTime.IsZero() {
		m[ColIngestTime] = r.in.IngestTime.UTC()
	}
	return m
}

// MarshalJSON returns the row's values as a JSON object.
func (r *Row) MarshalJSON() ([]byte, error) { return json.Marshal(r.Values()) }

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
			t := v.Interface().(time.Time)
			return civil.DateOf(t), !t.IsZero()
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
