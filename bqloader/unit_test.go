package bqloader

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/bigquery"
	"cloud.google.com/go/civil"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/ztfbridge/ztfbridge/internal/core/night"
)

func TestMergeSchema(t *testing.T) {
	str := func(n string) *bigquery.FieldSchema {
		return &bigquery.FieldSchema{Name: n, Type: bigquery.StringFieldType}
	}
	rec := func(n string, repeated bool, fs ...*bigquery.FieldSchema) *bigquery.FieldSchema {
		return &bigquery.FieldSchema{Name: n, Type: bigquery.RecordFieldType, Repeated: repeated, Schema: fs}
	}
	tests := []struct {
		name      string
		have      bigquery.Schema
		want      bigquery.Schema
		wantAdded []string
		wantErr   string
		wantNames string // the merged schema, flattened
	}{
		{name: "same", have: bigquery.Schema{str("a")}, want: bigquery.Schema{str("a")}, wantNames: "a"},
		{name: "new column last", have: bigquery.Schema{str("a")}, want: bigquery.Schema{str("b"), str("a")},
			wantAdded: []string{"b"}, wantNames: "a b"},
		{name: "names ignore case", have: bigquery.Schema{str("ObjectId")}, want: bigquery.Schema{str("objectid")}, wantNames: "ObjectId"},
		{name: "new nested field", have: bigquery.Schema{rec("candidate", false, str("jd"))},
			want:      bigquery.Schema{rec("candidate", false, str("jd"), str("drb"))},
			wantAdded: []string{"candidate.drb"}, wantNames: "candidate(jd drb)"},
		{name: "new repeated record", have: bigquery.Schema{str("a")}, want: bigquery.Schema{str("a"), rec("fp_hists", true, str("jd"))},
			wantAdded: []string{"fp_hists"}, wantNames: "a fp_hists(jd)"},
		{name: "columns only the table has stay", have: bigquery.Schema{str("a"), str("old")}, want: bigquery.Schema{str("a")}, wantNames: "a old"},
		{name: "type change", have: bigquery.Schema{str("a")}, want: bigquery.Schema{{Name: "a", Type: bigquery.IntegerFieldType}},
			wantErr: "column a is STRING in the table and INTEGER"},
		{name: "repetition change", have: bigquery.Schema{rec("p", false)}, want: bigquery.Schema{rec("p", true)},
			wantErr: "REPEATED RECORD"},
		{name: "required new column", have: nil, want: bigquery.Schema{{Name: "a", Type: bigquery.StringFieldType, Required: true}},
			wantErr: "REQUIRED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			merged, added, err := mergeSchema(tt.have, tt.want)
			if errorWanted(t, err, tt.wantErr) {
				return
			}
			if fmt.Sprint(added) != fmt.Sprint(tt.wantAdded) && len(added)+len(tt.wantAdded) > 0 {
				t.Errorf("added = %v, want %v", added, tt.wantAdded)
			}
			if got := schemaNames(merged); got != tt.wantNames {
				t.Errorf("merged = %s, want %s", got, tt.wantNames)
			}
		})
	}
}

func schemaNames(s bigquery.Schema) string {
	var parts []string
	for _, f := range s {
		if f.Type == bigquery.RecordFieldType {
			parts = append(parts, f.Name+"("+schemaNames(f.Schema)+")")
		} else {
			parts = append(parts, f.Name)
		}
	}
	return strings.Join(parts, " ")
}

func TestRowEncoder(t *testing.T) {
	schema := bigquery.Schema{
		{Name: "candid", Type: bigquery.IntegerFieldType},
		{Name: "night", Type: bigquery.DateFieldType},
		{Name: "ingest_time", Type: bigquery.TimestampFieldType},
		{Name: "mag", Type: bigquery.FloatFieldType},
		{Name: "ok", Type: bigquery.BooleanFieldType},
		{Name: "cutout", Type: bigquery.BytesFieldType},
		{Name: "candidate", Type: bigquery.RecordFieldType, Schema: bigquery.Schema{{Name: "fid", Type: bigquery.IntegerFieldType}}},
		{Name: "prv", Type: bigquery.RecordFieldType, Repeated: true, Schema: bigquery.Schema{{Name: "candid", Type: bigquery.IntegerFieldType}}},
	}
	enc, err := NewRowEncoder(schema)
	if err != nil {
		t.Fatal(err)
	}
	ts := time.Date(2024, 7, 15, 3, 4, 5, 123456000, time.UTC)
	tests := []struct {
		name    string
		row     map[string]bigquery.Value
		want    string // the decoded message, text format
		wantErr string
	}{
		{name: "candid beyond float64 stays exact",
			row: map[string]bigquery.Value{"candid": int64(3400000000000000001)}, want: "candid:3400000000000000001"},
		{name: "candid as int64", row: map[string]bigquery.Value{"candid": int64(-7)}, want: "candid:-7"},
		{name: "DATE is days since 1970", row: map[string]bigquery.Value{"night": civil.Date{Year: 2024, Month: 7, Day: 15}}, want: "night:19919"},
		{name: "TIMESTAMP is microseconds", row: map[string]bigquery.Value{"ingest_time": ts}, want: fmt.Sprintf("ingest_time:%d", ts.UnixMicro())},
		{name: "float", row: map[string]bigquery.Value{"mag": 18.5}, want: "mag:18.5"},
		{name: "NaN", row: map[string]bigquery.Value{"mag": math.NaN()}, want: "mag:NaN"},
		{name: "infinity", row: map[string]bigquery.Value{"mag": math.Inf(-1)}, want: "mag:-Inf"},
		{name: "nil is NULL", row: map[string]bigquery.Value{"mag": nil, "ok": nil}, want: ""},
		{name: "bytes", row: map[string]bigquery.Value{"cutout": []byte{0, 1}}, want: `cutout:"\x00\x01"`},
		{name: "record and repeated record",
			row:  map[string]bigquery.Value{"candidate": map[string]bigquery.Value{"fid": int64(2)}, "prv": []bigquery.Value{map[string]bigquery.Value{}, map[string]bigquery.Value{"candid": int64(5)}}},
			want: "candidate:{fid:2} prv:{} prv:{candid:5}"},
		{name: "unknown column", row: map[string]bigquery.Value{"newfield": "x"}, wantErr: "column newfield: not in the table schema"},
		{name: "an integer as a decimal string", row: map[string]bigquery.Value{"candid": "12"}, wantErr: "column candid: want an int64"},
		{name: "unknown column in a record", row: map[string]bigquery.Value{"candidate": map[string]bigquery.Value{"newfield": int64(1)}}, wantErr: "column candidate: column newfield: not in the table schema"},
		{name: "wrong type", row: map[string]bigquery.Value{"ok": "yes"}, wantErr: "want a bool"},
		{name: "null in a repeated column", row: map[string]bigquery.Value{"prv": []bigquery.Value{nil}}, wantErr: "cannot hold NULL"},
		{name: "date beyond int32 days", row: map[string]bigquery.Value{"night": civil.Date{Year: 9_000_000, Month: 1, Day: 1}}, wantErr: "beyond what a DATE can hold"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := enc.Encode(tt.row)
			if errorWanted(t, err, tt.wantErr) {
				return
			}
			m := dynamicpb.NewMessage(enc.message)
			if err := proto.Unmarshal(b, m); err != nil {
				t.Fatal(err)
			}
			if got := textOf(m); got != tt.want {
				t.Errorf("encoded %s, want %s", got, tt.want)
			}
		})
	}
}

// textOf prints the set fields of m in field order, "name:value".
func textOf(m protoreflect.Message) string {
	var parts []string
	fields := m.Descriptor().Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if !m.Has(fd) {
			continue
		}
		v := m.Get(fd)
		var vals []protoreflect.Value
		if fd.IsList() {
			for j := range v.List().Len() {
				vals = append(vals, v.List().Get(j))
			}
		} else {
			vals = []protoreflect.Value{v}
		}
		for _, x := range vals {
			switch {
			case fd.Kind() == protoreflect.MessageKind:
				parts = append(parts, fmt.Sprintf("%s:{%s}", fd.Name(), textOf(x.Message())))
			case fd.Kind() == protoreflect.BytesKind:
				parts = append(parts, fmt.Sprintf("%s:%q", fd.Name(), x.Bytes()))
			default:
				parts = append(parts, fmt.Sprintf("%s:%v", fd.Name(), x.Interface()))
			}
		}
	}
	return strings.Join(parts, " ")
}

func TestSeenSet(t *testing.T) {
	n2 := night.Of(time.Date(2024, 7, 15, 0, 0, 0, 0, time.UTC))
	n1, n3 := n2.AddDays(-1), n2.AddDays(1)
	var mu sync.Mutex
	table := map[night.Night][]int64{n1: {1, 2}, n2: {3}}
	var reads []string
	load := func(_ context.Context, n night.Night, since time.Time) ([]int64, error) {
		mu.Lock()
		defer mu.Unlock()
		reads = append(reads, fmt.Sprintf("%s since zero=%v", n.Civil(), since.IsZero()))
		return table[n], nil
	}
	now := time.Date(2024, 7, 15, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); now = now.Add(time.Second); return now }
	s := newSeenSet(load, 2, clock, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx := context.Background()

	steps := []struct {
		name string
		do   func() bool
		want bool
	}{
		{"seeded from the table", func() bool { return s.contains(ctx, n1, 2) }, true},
		{"not in the table", func() bool { return s.contains(ctx, n1, 9) }, false},
		{"added after a write", func() bool { s.add(n1, 9); return s.contains(ctx, n1, 9) }, true},
		{"second night seeded", func() bool { return s.contains(ctx, n2, 3) }, true},
		{"another loader wrote 4, unseen before the refresh", func() bool {
			mu.Lock()
			table[n2] = append(table[n2], 4)
			mu.Unlock()
			return s.contains(ctx, n2, 4)
		}, false},
		{"seen after the refresh", func() bool { _ = s.refresh(ctx); return s.contains(ctx, n2, 4) }, true},
		{"a third night evicts the least recently used", func() bool {
			s.contains(ctx, n3, 1)
			return s.len() == 2 && s.contains(ctx, n2, 3) // n2's 3 and 4; n3 is empty
		}, true},
		{"the evicted night is read again when it comes back", func() bool { return s.contains(ctx, n1, 1) }, true},
	}
	for _, st := range steps {
		if got := st.do(); got != st.want {
			t.Errorf("%s: got %v, want %v", st.name, got, st.want)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{
		"2024-07-14 since zero=true", "2024-07-15 since zero=true",
		"2024-07-14 since zero=false", "2024-07-15 since zero=false", // the refresh reads what is new
		"2024-07-16 since zero=true", "2024-07-14 since zero=true",
	}
	slices.Sort(reads) // a refresh reads the nights in any order
	slices.Sort(want)
	if fmt.Sprint(reads) != fmt.Sprint(want) {
		t.Errorf("reads of the table:\n%v\nwant\n%v", reads, want)
	}
}

func TestBatcher(t *testing.T) {
	tests := []struct {
		name      string
		rows      []int // sizes of the rows sent
		maxRows   int
		maxBytes  int
		wantSizes string // rows per batch written
	}{
		{name: "by count", rows: []int{1, 1, 1, 1, 1}, maxRows: 2, maxBytes: 100, wantSizes: "[2 2 1]"},
		{name: "by bytes", rows: []int{40, 40, 40, 10}, maxRows: 10, maxBytes: 100, wantSizes: "[2 2]"},
		{name: "a row above the byte limit goes alone", rows: []int{10, 500, 10}, maxRows: 10, maxBytes: 100, wantSizes: "[1 1 1]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			var sizes []int
			b := newBatcher(tt.maxRows, tt.maxBytes, time.Hour, 1, func(_ context.Context, batch []*pending) {
				mu.Lock()
				sizes = append(sizes, len(batch))
				mu.Unlock()
				for _, p := range batch {
					p.done <- outcome{}
				}
			})
			ctx := context.Background()
			done, draining := make(chan struct{}), make(chan struct{})
			go func() { b.run(ctx, draining); close(done) }()
			// Senders wait for their outcome; send them all at once, in
			// order, so batches fill by size.
			var wg sync.WaitGroup
			for i, size := range tt.rows {
				p := &pending{candid: int64(i), row: make([]byte, size), done: make(chan outcome, 1)}
				wg.Go(func() { b.write(ctx, p) })
				time.Sleep(5 * time.Millisecond)
			}
			// The last partial batch leaves when the loader drains.
			time.Sleep(20 * time.Millisecond)
			close(draining)
			wg.Wait()
			b.close()
			<-done
			if got := fmt.Sprint(sizes); got != tt.wantSizes {
				t.Errorf("batches %s, want %s", got, tt.wantSizes)
			}
		})
	}
}

func TestBatcherDelayAndDrain(t *testing.T) {
	written := make(chan int, 10)
	b := newBatcher(100, 1<<20, 30*time.Millisecond, 2, func(_ context.Context, batch []*pending) {
		written <- len(batch)
		for _, p := range batch {
			p.done <- outcome{}
		}
	})
	draining := make(chan struct{})
	done := make(chan struct{})
	go func() { b.run(context.Background(), draining); close(done) }()
	start := time.Now()
	if o := b.write(context.Background(), &pending{done: make(chan outcome, 1)}); o != (outcome{}) {
		t.Fatalf("outcome %+v", o)
	}
	if d := time.Since(start); d < 30*time.Millisecond || d > time.Second {
		t.Errorf("a lone row was written after %v, want after the 30ms delay", d)
	}
	close(draining)
	start = time.Now()
	b.write(context.Background(), &pending{done: make(chan outcome, 1)})
	if d := time.Since(start); d > 25*time.Millisecond {
		t.Errorf("while draining a row waited %v, want no delay", d)
	}
	b.close()
	<-done
	if len(written) != 2 {
		t.Errorf("%d batches, want 2", len(written))
	}
}

// errorWanted checks err against a test case's wanted error: when want is
// set, err must say it and the case ends there (true); otherwise err must
// be nil. A mismatch fails t.
func errorWanted(t *testing.T, err error, want string) bool {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatal(err)
		}
		return false
	}
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, want it to say %q", err, want)
	}
	return true
}
