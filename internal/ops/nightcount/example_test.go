package nightcount_test

import (
	"fmt"
	"os"

	"github.com/ztfbridge/ztfbridge/internal/core/night"
	"github.com/ztfbridge/ztfbridge/internal/ops/nightcount"
)

// Judge and print a night the way "ztfbridge count --expect 12" does. Count
// fills the StageCounts from the stages configured in a Config; here Kafka and
// Pub/Sub were not counted.
func Example() {
	n := func(v int64) *int64 { return &v }
	day, _ := night.Parse("20201227")
	c := nightcount.StageCounts{Night: day, Topic: "ztf_20201227_programid1",
		GCSObjects: n(12), BigQueryRows: n(12), DistinctCandids: n(11)}
	if err := nightcount.WriteTable(os.Stdout, 12, c); err != nil {
		fmt.Println(err)
	}
	fmt.Println("ok:", c.Verdict(12).OK())
	// Output:
	//    night | alerts in Kafka | Pub/Sub messages | Avros in GCS | BigQuery rows | distinct candids
	// 20201227 |             n/a |              n/a |           12 |            12 |               11
	// verdict 20201227 (12 expected): LOST, DUPLICATED: 1 of 12 alerts missing from BigQuery; 1 BigQuery rows repeat a candid
	// ok: false
}
