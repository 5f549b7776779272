package demo_test

import (
	"os"

	"github.com/ztfbridge/ztfbridge/internal/core/night"
	"github.com/ztfbridge/ztfbridge/internal/dev/demo"
	"github.com/ztfbridge/ztfbridge/internal/ops/nightcount"
)

// Judge turns a night's counts into the demo's verdict; Run ends with it.
func ExampleJudge() {
	n := func(v int64) *int64 { return &v }
	day, _ := night.Parse("20240715")
	counts := nightcount.StageCounts{Night: day, Topic: "ztf_20240715_programid1",
		KafkaMessages: n(4000), PubSubPublished: n(4000), GCSObjects: n(2000), BigQueryRows: n(2000), DistinctCandids: n(2000)}
	r := demo.Judge(2000, 4000, counts)
	_ = r.WriteTable(os.Stdout)
	// Output:
	//    night | alerts in Kafka | Pub/Sub messages | Avros in GCS | BigQuery rows | distinct candids
	// 20240715 |            4000 |             4000 |         2000 |          2000 |             2000
	// verdict 20240715 (2000 expected): OK
	// 2000 alerts: Kafka 4000 with the replay, Pub/Sub 4000, GCS 2000, BigQuery 2000 rows and 2000 distinct: OK
}
