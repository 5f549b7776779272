package demo

import (
	"testing"
	"time"

	"github.com/ztfbridge/ztfbridge/internal/core/night"
	"github.com/ztfbridge/ztfbridge/internal/ops/nightcount"
)

func TestJudge(t *testing.T) {
	n := func(v int64) *int64 { return &v }
	whole := func() nightcount.StageCounts {
		return nightcount.StageCounts{Night: night.Of(time.Date(2024, 7, 15, 0, 0, 0, 0, time.UTC)), KafkaMessages: n(200), PubSubPublished: n(230),
			GCSObjects: n(100), BigQueryRows: n(100), DistinctCandids: n(100)}
	}
	tests := []struct {
		name   string
		change func(*nightcount.StageCounts)
		ok     bool
	}{
		{"every alert once", func(*nightcount.StageCounts) {}, true},
		{"Kafka lost the replay", func(c *nightcount.StageCounts) { c.KafkaMessages = n(100) }, false},
		{"Pub/Sub short", func(c *nightcount.StageCounts) { c.PubSubPublished = n(99) }, false},
		{"no connector record", func(c *nightcount.StageCounts) { c.PubSubPublished = nil }, false},
		{"GCS lost one", func(c *nightcount.StageCounts) { c.GCSObjects = n(99) }, false},
		{"GCS has one more", func(c *nightcount.StageCounts) { c.GCSObjects = n(101) }, false},
		{"view repeats a candid", func(c *nightcount.StageCounts) { c.BigQueryRows = n(101) }, false},
		{"BigQuery lost one", func(c *nightcount.StageCounts) { c.BigQueryRows, c.DistinctCandids = n(99), n(99) }, false},
		{"BigQuery not counted", func(c *nightcount.StageCounts) { c.BigQueryRows, c.DistinctCandids = nil, nil }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := whole()
			tt.change(&c)
			if r := Judge(100, 200, c); r.OK != tt.ok {
				t.Errorf("OK = %v, want %v: %s", r.OK, tt.ok, r.Summary)
			}
		})
	}
}
