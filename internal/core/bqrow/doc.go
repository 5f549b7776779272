// Package bqrow maps decoded ZTF alerts to BigQuery rows, and gives the
// table schema of those rows.
//
// The schema is derived from the Go structs of package alert (column names
// are ZTF's field names, descriptions ZTF's docs), so there is one
// definition of an alert; terraform/schema/alerts.json is SchemaJSON's
// output (go generate ./internal/core/bqrow). A Row holds what the packet
// says and only that: NULL where the packet has no value, integers exact,
// ZTF's placeholders kept.
//
//	row := bqrow.New(a, bqrow.Ingest{Kafka: k, IngestTime: now}, bqrow.Options{})
//	values := row.Values()          // typed values, as bqloader.RowEncoder writes them
//	b, err := row.MarshalJSON()     // BigQuery's JSON form ("ztfbridge inspect --row")
//	schema := bqrow.Schema(bqrow.Options{Cutouts: false})
//
// ExampleNew and ExampleSchemaJSON run.
//
// docs/bigquery.md has the columns, what each value means (NULL, floats,
// NaN, placeholders), why fields without a column are not loaded, and why
// rows carry no insert id.
package bqrow

//go:generate sh -c "go run ../../../cmd/ztfbridge schema > ../../../terraform/schema/alerts.json"
