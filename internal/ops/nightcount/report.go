package nightcount

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Verdict says whether a night arrived whole and once.
type Verdict struct {
	Lost       bool     `json:"lost"`       // some alerts are missing from GCS or BigQuery
	Duplicated bool     `json:"duplicated"` // an alert is stored more than once, or more than expected
	Reasons    []string `json:"reasons,omitempty"`
}

// OK reports that nothing was found lost or duplicated.
func (v Verdict) OK() bool { return !v.Lost && !v.Duplicated }

// String is the verdict line: "OK", or "LOST", "DUPLICATED" or
// "LOST, DUPLICATED" followed by the reasons.
func (v Verdict) String() string {
	var words []string
	if v.Lost {
		words = append(words, "LOST")
	}
	if v.Duplicated {
		words = append(words, "DUPLICATED")
	}
	if len(words) == 0 {
		words = []string{"OK"}
	}
	s := strings.Join(words, ", ")
	if len(v.Reasons) > 0 {
		s += ": " + strings.Join(v.Reasons, "; ")
	}
	return s
}

// Verdict judges c against expect unique alerts (0: not known). Only
// stages that were counted are judged; Kafka and Pub/Sub count messages
// (replays included), so they are not compared with alert counts.
//
//	lost        GCS objects or distinct candids < expect, or GCS and BigQuery disagree (the lower one lost)
//	duplicated  BigQuery rows > distinct candids, or GCS objects > expect
func (c StageCounts) Verdict(expect int64) Verdict {
	var v Verdict
	lost := func(format string, args ...any) {
		v.Lost = true
		v.Reasons = append(v.Reasons, fmt.Sprintf(format, args...))
	}
	dup := func(format string, args ...any) {
		v.Duplicated = true
		v.Reasons = append(v.Reasons, fmt.Sprintf(format, args...))
	}
	gcs, rows, distinct := c.GCSObjects, c.BigQueryRows, c.DistinctCandids
	if expect > 0 {
		if gcs != nil && *gcs < expect {
			lost("%d of %d alerts missing from GCS", expect-*gcs, expect)
		}
		if gcs != nil && *gcs > expect {
			dup("%d more objects in GCS than the %d expected", *gcs-expect, expect)
		}
		if distinct != nil && *distinct < expect {
			lost("%d of %d alerts missing from BigQuery", expect-*distinct, expect)
		}
	} else if gcs != nil && distinct != nil && *gcs != *distinct {
		lost("GCS holds %d alerts, BigQuery %d", *gcs, *distinct)
	}
	if rows != nil && distinct != nil && *rows > *distinct {
		dup("%d BigQuery rows repeat a candid", *rows-*distinct)
	}
	return v
}

// columns of the table, in order.
var columns = []string{"night", "alerts in Kafka", "Pub/Sub messages", "Avros in GCS", "BigQuery rows", "distinct candids"}

// WriteTable prints one row per night under a header, columns separated by
// " | ", then a verdict line per night judged against expect (0: not
// known). Uncounted stages are "n/a".
func WriteTable(w io.Writer, expect int64, nights ...StageCounts) error {
	rows := [][]string{columns}
	for _, c := range nights {
		rows = append(rows, []string{c.Night.String(), cell(c.KafkaMessages), cell(c.PubSubPublished),
			cell(c.GCSObjects), cell(c.BigQueryRows), cell(c.DistinctCandids)})
	}
	width := make([]int, len(columns))
	for _, r := range rows {
		for i, s := range r {
			width[i] = max(width[i], len(s))
		}
	}
	for _, r := range rows {
		cells := make([]string, len(r))
		for i, s := range r {
			cells[i] = fmt.Sprintf("%*s", width[i], s)
		}
		if _, err := fmt.Fprintln(w, strings.Join(cells, " | ")); err != nil {
			return err
		}
	}
	for _, c := range nights {
		line := "verdict " + c.Night.String()
		if expect > 0 {
			line += " (" + strconv.FormatInt(expect, 10) + " expected)"
		}
		if _, err := fmt.Fprintf(w, "%s: %s\n", line, c.Verdict(expect)); err != nil {
			return err
		}
	}
	return nil
}

func cell(n *int64) string {
	if n == nil {
		return "n/a"
	}
	return strconv.FormatInt(*n, 10)
}

// Report is a night's StageCounts with its verdict, as WriteJSON writes it.
type Report struct {
	StageCounts
	Expected int64   `json:"expected,omitempty"`
	Verdict  Verdict `json:"verdict"`
	OK       bool    `json:"ok"`
}

// WriteJSON writes one JSON object (a Report) per night and line.
// Uncounted stages are null.
func WriteJSON(w io.Writer, expect int64, nights ...StageCounts) error {
	enc := json.NewEncoder(w)
	for _, c := range nights {
		v := c.Verdict(expect)
		if err := enc.Encode(Report{StageCounts: c, Expected: expect, Verdict: v, OK: v.OK()}); err != nil {
			return err
		}
	}
	return nil
}
