package bqrow_test

import (
	"bytes"
	"fmt"
	"time"

	"cloud.google.com/go/bigquery"

	"github.com/ztfbridge/ztfbridge/internal/core/alert"
	"github.com/ztfbridge/ztfbridge/internal/core/attr"
	"github.com/ztfbridge/ztfbridge/internal/core/bqrow"
	"github.com/ztfbridge/ztfbridge/internal/core/night"
)

// Turn a decoded alert into the row the loader streams to BigQuery.
func ExampleNew() {
	n, _ := night.Parse("20240715")
	a := &alert.Alert{
		Candid:    2752190655615010016,
		ObjectID:  "ZTF19aaococq",
		SchemaVsn: "4.02",
		Night:     n,
		Candidate: alert.Candidate{JD: 2460506.9065625, RA: 280.1234567, Dec: -12.5, Magpsf: 18.5432},
	}
	in := bqrow.Ingest{
		Kafka:      attr.Kafka{Topic: a.Topic(), Partition: 3, Offset: 1234},
		IngestTime: time.Date(2024, 7, 15, 9, 0, 0, 0, time.UTC),
	}
	row := bqrow.New(a, in, bqrow.Options{}).Values()
	fmt.Printf("%T %v\n", row["candid"], row["candid"])
	fmt.Println(row["night"], row["kafka_topic"], row["kafka_offset"])
	fmt.Println(row["candidate"].(map[string]bigquery.Value)["magpsf"])
	// Output:
	// int64 2752190655615010016
	// 2024-07-15 ztf_20240715_programid1 1234
	// 18.5432
}

// The table schema, as terraform gets it.
func ExampleSchemaJSON() {
	s := bqrow.Schema(bqrow.Options{})
	fmt.Println(len(s), "columns, first", s[0].Name, s[0].Type, "partitioned by", bqrow.ColNight)
	b, _ := bqrow.SchemaJSON(bqrow.Options{})
	fmt.Printf("%s\n", b[:bytes.Index(b, []byte("},"))+2])
	// Output:
	// 14 columns, first candid INTEGER partitioned by night
	// [
	//   {
	//     "name": "candid",
	//     "type": "INTEGER",
	//     "mode": "NULLABLE",
	//     "description": "candidate id of the alert, unique per alert; starts with the night id"
	//   },
}
