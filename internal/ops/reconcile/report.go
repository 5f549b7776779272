package reconcile

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/ztfbridge/ztfbridge/internal/core/message"
	"github.com/ztfbridge/ztfbridge/internal/core/night"
)

// Item is one line of the lists: a missing or unexpected candid, a dead
// letter, a quarantined object, a duplicated candid or a stray object.
type Item struct {
	List   string    `json:"list"` // missing, unexpected, dead_letter, quarantined, duplicate, stray
	Candid int64     `json:"candid,omitempty"`
	Stages []Stage   `json:"stages,omitempty"` // missing: the stages lacking it; unexpected: those holding it
	Kafka  *Position `json:"kafka,omitempty"`  // partition and offset in the night's topic
	Reason string    `json:"reason,omitempty"`
	Detail string    `json:"detail,omitempty"`
	Object string    `json:"object,omitempty"`
	Rows   int64     `json:"rows,omitempty"` // duplicate: rows of the candid in alerts_raw
}

// The lists of Item, in the order Items yields them.
const (
	ListMissing     = "missing"
	ListUnexpected  = "unexpected"
	ListDeadLetter  = "dead_letter"
	ListQuarantined = "quarantined"
	ListDuplicate   = "duplicate"
	ListStray       = "stray"
)

// Items calls fn with every entry of the report's lists, list by list,
// until fn returns an error.
func (r *Report) Items(fn func(Item) error) error {
	for _, m := range r.Missing {
		it := Item{List: ListMissing, Candid: m.Candid, Stages: m.From.Names()}
		if m.InKafka {
			it.Kafka = &Position{Partition: m.Kafka.Partition, Offset: m.Kafka.Offset}
		}
		if err := fn(it); err != nil {
			return err
		}
	}
	for _, u := range r.Unexpected {
		if err := fn(Item{List: ListUnexpected, Candid: u.Candid, Stages: u.In.Names()}); err != nil {
			return err
		}
	}
	if r.Kafka != nil {
		for _, d := range r.Kafka.DeadLetters {
			if err := fn(Item{List: ListDeadLetter, Kafka: &Position{Partition: d.Partition, Offset: d.Offset}, Reason: string(d.Reason), Detail: d.Detail}); err != nil {
				return err
			}
		}
	}
	if r.GCS != nil {
		for _, q := range r.GCS.Quarantined {
			if err := fn(Item{List: ListQuarantined, Object: q.Name, Kafka: q.Position, Reason: string(q.Reason), Detail: q.Detail}); err != nil {
				return err
			}
		}
		for _, s := range r.GCS.Strays {
			if err := fn(Item{List: ListStray, Object: s}); err != nil {
				return err
			}
		}
	}
	if r.BigQuery != nil {
		for _, d := range r.BigQuery.Duplicates {
			if err := fn(Item{List: ListDuplicate, Candid: d.Candid, Rows: d.Rows}); err != nil {
				return err
			}
		}
	}
	return nil
}

// Summary is the first line of WriteJSON: the counts of every stage.
type Summary struct {
	Night      night.Night    `json:"night"`
	Topic      string         `json:"topic"`
	OK         bool           `json:"ok"`
	Stages     []StageSummary `json:"stages"`
	Repair     *RepairResult  `json:"repair,omitempty"`
	Unexpected int            `json:"unexpected"`
}

// StageSummary is one row of the table. Nil counts are n/a.
type StageSummary struct {
	Stage      Stage  `json:"stage"`
	InKafka    *int64 `json:"in_kafka"`   // alerts (distinct candids) of the retained topic
	Stored     *int64 `json:"stored"`     // alerts the stage holds
	Missing    *int64 `json:"missing"`    // alerts any stage holds and this one lacks
	Unexpected *int64 `json:"unexpected"` // alerts the stage holds and the retained topic lacks
	// Notes: Kafka's messages, repeats and dead letters by reason; the
	// quarantine; the duplicated candids of alerts_raw.
	Notes string `json:"notes"`
}

// Summarize returns the counts of every stage read, with the result of
// a repair when there was one (else nil).
func (r *Report) Summarize(repair *RepairResult) Summary {
	s := Summary{Night: r.Night, Topic: r.Topic, OK: r.OK(), Repair: repair, Unexpected: len(r.Unexpected)}
	n := func(v int) *int64 { x := int64(v); return &x }
	var inKafka *int64
	if r.Kafka != nil && r.Kafka.Retained {
		inKafka = n(r.Kafka.Alerts)
	}
	if r.Kafka != nil {
		row := StageSummary{Stage: StageKafka, InKafka: inKafka, Stored: inKafka, Notes: "topic not retained"}
		if r.Kafka.Retained {
			row.Notes = kafkaNotes(r.Kafka)
		}
		s.Stages = append(s.Stages, row)
	}
	stored := func(name Stage, st Stages, count int, notes string) {
		row := StageSummary{Stage: name, InKafka: inKafka, Stored: n(count), Missing: n(r.MissingFrom(st)), Notes: notes}
		if inKafka != nil {
			row.Unexpected = n(r.UnexpectedIn(st))
		}
		s.Stages = append(s.Stages, row)
	}
	if r.GCS != nil {
		notes := fmt.Sprintf("%d quarantined", len(r.GCS.Quarantined))
		if len(r.GCS.Strays) > 0 {
			notes += fmt.Sprintf(", %d objects without a candid", len(r.GCS.Strays))
		}
		stored(StageGCS, InGCS, r.GCS.Stored, notes)
	}
	if r.BigQuery != nil {
		var rows int64
		for _, d := range r.BigQuery.Duplicates {
			rows += d.Rows - 1
		}
		stored(StageBigQuery, InBigQuery, r.BigQuery.Stored, fmt.Sprintf("%d candids with %d extra rows in alerts_raw", len(r.BigQuery.Duplicates), rows))
	}
	return s
}

func kafkaNotes(k *KafkaStage) string {
	notes := fmt.Sprintf("%d messages, %d repeats, %d dead letters", k.Messages, k.Repeats, len(k.DeadLetters))
	if len(k.DeadLetters) > 0 {
		by := map[message.Reason]int{}
		for _, d := range k.DeadLetters {
			by[d.Reason]++
		}
		var parts []string
		for _, reason := range slices.Sorted(maps.Keys(by)) {
			parts = append(parts, fmt.Sprintf("%s %d", reason, by[reason]))
		}
		notes += " (" + strings.Join(parts, ", ") + ")"
	}
	if k.Partial {
		notes += "; retention removed the start of the topic"
	}
	return notes
}

// shown is how many entries of each list WriteTable prints; WriteJSON and
// WriteLists print them all.
const shown = 20

// WriteTable prints the stages as a table, then the first entries of each
// list and a verdict line:
//
//	stage    | in Kafka | stored | missing | unexpected | notes
//	kafka    |       30 |     30 |     n/a |        n/a | 33 messages, 0 repeats, 3 dead letters (undecodable 2, not_one_alert 1)
//	gcs      |       30 |     27 |       3 |          0 | 0 quarantined
//	bigquery |       30 |     25 |       5 |          0 | 1 candids with 1 extra rows in alerts_raw
func WriteTable(w io.Writer, r *Report, repair *RepairResult) error {
	bw := bufio.NewWriter(w)
	s := r.Summarize(repair)
	rows := [][]string{{"stage", "in Kafka", "stored", "missing", "unexpected", "notes"}}
	for _, st := range s.Stages {
		rows = append(rows, []string{string(st.Stage), cell(st.InKafka), cell(st.Stored), cell(st.Missing), cell(st.Unexpected), st.Notes})
	}
	width := make([]int, len(rows[0]))
	for _, row := range rows {
		for i, c := range row {
			width[i] = max(width[i], len(c))
		}
	}
	fmt.Fprintf(bw, "night %s (%s)\n", r.Night, r.Topic)
	for _, row := range rows {
		cells := make([]string, len(row))
		for i, c := range row {
			switch {
			case i == 0:
				cells[i] = fmt.Sprintf("%-*s", width[i], c)
			case i == len(row)-1:
				cells[i] = c
			default:
				cells[i] = fmt.Sprintf("%*s", width[i], c)
			}
		}
		fmt.Fprintln(bw, strings.Join(cells, " | "))
	}
	counts := map[string]int{}
	err := r.Items(func(it Item) error {
		counts[it.List]++
		if counts[it.List] <= shown {
			fmt.Fprintln(bw, itemLine(it))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, list := range []string{ListMissing, ListUnexpected, ListDeadLetter, ListQuarantined, ListStray, ListDuplicate} {
		if counts[list] > shown {
			fmt.Fprintf(bw, "%s: %d more (--json or --out lists them all)\n", list, counts[list]-shown)
		}
	}
	if repair != nil {
		fmt.Fprintln(bw, repair)
	}
	verdict := "OK: every alert is in every stage read"
	if !s.OK {
		verdict = fmt.Sprintf("MISSING: %d alerts are not in every stage", len(r.Missing))
	}
	fmt.Fprintf(bw, "verdict %s: %s\n", r.Night, verdict)
	return bw.Flush()
}

// itemLine is an Item for people: "missing 1234 from gcs,bigquery at kafka 3/17".
func itemLine(it Item) string {
	var b strings.Builder
	b.WriteString(it.List)
	if it.Candid != 0 {
		b.WriteString(" " + strconv.FormatInt(it.Candid, 10))
	}
	if len(it.Stages) > 0 {
		verb := " from "
		if it.List == ListUnexpected {
			verb = " in "
		}
		b.WriteString(verb + joinStages(it.Stages))
	}
	if it.Object != "" {
		b.WriteString(" " + it.Object)
	}
	if it.Kafka != nil {
		b.WriteString(" at kafka " + it.Kafka.String())
	} else if it.List == ListMissing {
		b.WriteString(" (not in Kafka)")
	}
	if it.Rows > 0 {
		fmt.Fprintf(&b, ": %d rows", it.Rows)
	}
	if it.Reason != "" {
		b.WriteString(": " + it.Reason)
	}
	if it.Detail != "" {
		b.WriteString(": " + it.Detail)
	}
	return b.String()
}

func joinStages(l []Stage) string {
	s := make([]string, len(l))
	for i, v := range l {
		s[i] = string(v)
	}
	return strings.Join(s, ",")
}

func cell(n *int64) string {
	if n == nil {
		return "n/a"
	}
	return strconv.FormatInt(*n, 10)
}

// WriteJSON writes the Summary as one JSON line, then one line per Item:
// every missing candid with its Kafka coordinates, every unexpected one,
// dead letter, quarantined object, duplicate and stray.
func WriteJSON(w io.Writer, r *Report, repair *RepairResult) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	if err := enc.Encode(r.Summarize(repair)); err != nil {
		return err
	}
	if err := r.Items(func(it Item) error { return enc.Encode(it) }); err != nil {
		return err
	}
	return bw.Flush()
}

// WriteLists writes every Item as a tab-separated line under a header,
// for awk and cut:
//
//	list	candid	stages	partition	offset	object	reason	detail
//	missing	1234	gcs,bigquery	3	17
func WriteLists(w io.Writer, r *Report) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "list\tcandid\tstages\tpartition\toffset\tobject\treason\tdetail")
	err := r.Items(func(it Item) error {
		var candid, part, off string
		if it.Candid != 0 {
			candid = strconv.FormatInt(it.Candid, 10)
		}
		if it.Kafka != nil {
			part, off = strconv.FormatInt(int64(it.Kafka.Partition), 10), strconv.FormatInt(it.Kafka.Offset, 10)
		}
		detail := it.Detail
		if it.Rows > 0 {
			detail = strconv.FormatInt(it.Rows, 10) + " rows"
		}
		_, err := fmt.Fprintln(bw, strings.Join([]string{it.List, candid, joinStages(it.Stages), part, off, it.Object, it.Reason, tsvField(detail)}, "\t"))
		return err
	})
	if err != nil {
		return err
	}
	return bw.Flush()
}

// tsvField keeps s on its line and in its column.
func tsvField(s string) string {
	return strings.NewReplacer("\t", " ", "\n", " ", "\r", " ").Replace(s)
}
