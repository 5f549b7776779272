package bqloader

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"cloud.google.com/go/bigquery"
	"cloud.google.com/go/pubsub/v2"

	"github.com/ztfbridge/ztfbridge/internal/core/alert"
	"github.com/ztfbridge/ztfbridge/internal/core/alert/alerttest"
	"github.com/ztfbridge/ztfbridge/internal/core/bqrow"
	"github.com/ztfbridge/ztfbridge/internal/dev/stack"
	"github.com/ztfbridge/ztfbridge/internal/dev/stack/stacktest"
)

// loadRealPackets creates the tables and views with New and writes every
// real ZTF packet of the manifest that holds one alert, in batches of 40,
// through the loader's encoder and writer, without Pub/Sub (the packets
// span many nights; Run would read each night's candids, a query, while
// appends are in flight, which the emulator does not survive). It returns
// the packets loaded.
func loadRealPackets(t *testing.T, s *testStack) []realPacket {
	t.Helper()
	ctx := context.Background()
	l, err := New(ctx, s.cfg, s.opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	dec := alert.NewDecoder()
	var loaded []realPacket
	var rows [][]byte
	flush := func() {
		var failed atomic.Int64
		l.writer.write(ctx, rows, func(i int, refused string, err error) {
			if refused != "" || err != nil {
				t.Errorf("write row %d: refused %q, %v", i, refused, err)
				failed.Add(1)
			}
		})
		if failed.Load() > 0 {
			t.FailNow()
		}
		rows = nil
	}
	for _, e := range alerttest.Manifest(t) {
		if e.Broken() || e.Records != 1 {
			continue
		}
		alerts, err := dec.Decode(e.Read(t))
		if err != nil {
			t.Fatalf("%s: %v", e.Path, err)
		}
		row, err := l.encode(alerts[0], &pubsub.Message{})
		if err != nil {
			t.Fatalf("%s: %v", e.Path, err)
		}
		rows = append(rows, row)
		loaded = append(loaded, realPacket{e, alerts[0]})
		if len(rows) == 40 {
			flush()
		}
	}
	flush()
	return loaded
}

// realPacket is a packet of the manifest and its alert.
type realPacket struct {
	entry alerttest.Entry
	alert *alert.Alert
}

// TestViews loads the real packets and checks what each view of
// bqloader/sql returns against the manifest.
func TestViews(t *testing.T) {
	s := newTestStack(t)
	entries := loadRealPackets(t, s)

	// Several files hold the same alert (a broker re-serialised ZTF's).
	candids := map[int64]realPacket{}
	perNight := map[string]map[int64]bool{}
	rawPerNight := map[string]int64{}
	for _, p := range entries {
		candids[p.alert.Candid] = p
		night := p.alert.Night.Time().Format(time.DateOnly)
		if perNight[night] == nil {
			perNight[night] = map[int64]bool{}
		}
		perNight[night][p.alert.Candid] = true
		rawPerNight[night]++
	}

	t.Run("alerts: one row per candid", func(t *testing.T) {
		got := s.queryInts("SELECT COUNT(*), COUNT(DISTINCT candid) FROM " + s.table(AlertsView))
		if got[0] != int64(len(candids)) || got[1] != int64(len(candids)) {
			t.Errorf("alerts: %d rows, %d candids; want %d of each (%d packets loaded)", got[0], got[1], len(candids), len(entries))
		}
	})

	t.Run("night_counts", func(t *testing.T) {
		rows := rowsOf(t, s.bqc, "SELECT CAST(night AS STRING), raw_rows, candids, duplicate_rows FROM "+s.table(NightCountsView))
		if len(rows) != len(perNight) {
			t.Errorf("night_counts has %d nights, want %d", len(rows), len(perNight))
		}
		for _, r := range rows {
			night := r[0].(string)
			want := []int64{rawPerNight[night], int64(len(perNight[night])), rawPerNight[night] - int64(len(perNight[night]))}
			if got := []int64{r[1].(int64), r[2].(int64), r[3].(int64)}; fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("night %s: raw_rows, candids, duplicate_rows = %v, want %v", night, got, want)
			}
		}
	})

	// The light curve of an object seen in one alert is that alert's
	// candidate plus its prv_candidates (MANIFEST's n_prv_candidates), the
	// upper limits (n_prv_upperlimits) flagged.
	objects := map[string][]alerttest.Entry{}
	for _, p := range candids {
		objects[p.alert.ObjectID] = append(objects[p.alert.ObjectID], p.entry)
	}
	tested := 0
	for obj, es := range objects {
		if len(es) != 1 || len(es[0].NPrv) != 1 || es[0].NPrv[0] < 0 {
			continue
		}
		e := es[0]
		tested++
		t.Run("light_curve of "+obj, func(t *testing.T) {
			got := s.queryInts(fmt.Sprintf(`SELECT COUNT(*), COUNTIF(is_upper_limit), COUNTIF(candid = %d AND NOT is_upper_limit), COUNTIF(is_upper_limit AND (candid IS NOT NULL OR magpsf IS NOT NULL))
				FROM %s WHERE objectId = '%s'`, e.Candids[0], s.table(LightCurveView), obj))
			want := []int64{1 + int64(e.NPrv[0]), int64(e.NUpperLimits[0]), 1, 0}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s (%s): rows, upper limits, the alert's own detection, upper limits with a candid or magpsf = %v, want %v", obj, e.Path, got, want)
			}
		})
	}
	if tested < 20 {
		t.Errorf("only %d objects with a single alert to test the light curve on", tested)
	}

	t.Run("light_curve merges the histories of an object's alerts", func(t *testing.T) {
		// Every detection once, whatever number of alerts repeat it.
		got := s.queryInts("SELECT COUNT(*) FROM (SELECT objectId, candid FROM " + s.table(LightCurveView) +
			" WHERE NOT is_upper_limit GROUP BY objectId, candid HAVING COUNT(*) > 1)")
		if got[0] != 0 {
			t.Errorf("%d detections appear more than once in light_curve", got[0])
		}
	})

	t.Run("bq answers the example queries of docs/bigquery.md", func(t *testing.T) {
		testDocsQueriesWithBQ(t, s.bq, s.cfg.Dataset)
	})
}

// sqlBlock finds the ```sql blocks of a Markdown file.
var sqlBlock = regexp.MustCompile("(?s)```sql\n(.*?)```")

// testDocsQueriesWithBQ runs every ```sql block of docs/bigquery.md with
// the bq command-line tool pointed at the emulator, as an analyst would,
// and checks that each answers with rows (the last one, which looks for
// duplicate candids, with none).
func testDocsQueriesWithBQ(t *testing.T, bq *stack.BigQuery, dataset string) {
	doc, err := os.ReadFile(filepath.Join(stacktest.RepoRoot(t), "docs", "bigquery.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := sqlBlock.FindAllStringSubmatch(string(doc), -1)
	if len(blocks) < 5 {
		t.Fatalf("docs/bigquery.md has %d sql examples, want at least 5", len(blocks))
	}
	home := t.TempDir()
	for i, b := range blocks {
		query := strings.ReplaceAll(b[1], "ztf.", dataset+".")
		wantRows := !strings.Contains(query, "HAVING n > 1")
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		cmd := exec.CommandContext(ctx, "bq", "--api="+bq.Endpoint(), "--oauth_access_token=fake", "--project_id="+bq.Project,
			"--headless", "--format=json", "query", "--nouse_legacy_sql", "--max_rows=1000", query)
		cmd.Env = append(os.Environ(), "HOME="+home, "CLOUDSDK_CONFIG="+filepath.Join(home, "gcloud"))
		out, err := cmd.CombinedOutput()
		cancel()
		if err != nil {
			t.Errorf("example %d: bq: %v\n%s\n%s", i+1, err, query, out)
			continue
		}
		var rows []map[string]any
		if err := json.Unmarshal(jsonPart(out), &rows); err != nil {
			t.Errorf("example %d: bq printed no JSON rows: %v\n%s", i+1, err, out)
			continue
		}
		if wantRows != (len(rows) > 0) {
			t.Errorf("example %d returned %d rows, want rows: %v\n%s", i+1, len(rows), wantRows, query)
		}
		t.Logf("example %d: %d rows", i+1, len(rows))
	}
}

// jsonPart strips what bq prints before its JSON (a first-run notice).
func jsonPart(out []byte) []byte {
	if i := strings.IndexByte(string(out), '['); i >= 0 {
		return out[i:]
	}
	return out
}

// TestEnsureTablesAddsNewColumns starts from a raw table made by an older
// ztfbridge, without the fields a newer ZTF schema brought (fp_hists and
// a few candidate fields), and checks that New adds exactly those columns,
// keeps the partitioning and clustering, and creates the views.
func TestEnsureTablesAddsNewColumns(t *testing.T) {
	s := newTestStack(t)
	ctx := context.Background()
	full := bqrow.Schema(bqrow.Options{})
	old := bigquery.Schema{}
	for _, f := range full {
		switch f.Name {
		case "fp_hists":
			continue
		case "candidate":
			c := *f
			c.Schema = nil
			for _, sub := range f.Schema {
				if sub.Name != "drb" && sub.Name != "drbversion" {
					c.Schema = append(c.Schema, sub)
				}
			}
			f = &c
		}
		old = append(old, f)
	}
	if err := s.bqc.Dataset(s.cfg.Dataset).Create(ctx, nil); err != nil {
		t.Fatal(err)
	}
	raw := s.bqc.Dataset(s.cfg.Dataset).Table(RawTable)
	if err := raw.Create(ctx, &bigquery.TableMetadata{Schema: old,
		TimePartitioning: &bigquery.TimePartitioning{Field: "night"}, Clustering: &bigquery.Clustering{Fields: []string{"objectId", "candid"}}}); err != nil {
		t.Fatal(err)
	}
	l, err := New(ctx, s.cfg, s.opts...)
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	md, err := raw.Metadata(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, added, err := mergeSchema(md.Schema, full); err != nil || len(added) > 0 {
		t.Errorf("after New the table still lacks %v (%v)", added, err)
	}
	if len(md.Schema) != len(full) {
		t.Errorf("table has %d columns, want %d", len(md.Schema), len(full))
	}
	if md.TimePartitioning == nil || md.TimePartitioning.Field != "night" || md.Clustering == nil {
		t.Errorf("partitioning %+v, clustering %+v lost", md.TimePartitioning, md.Clustering)
	}
	for _, v := range []string{AlertsView, LightCurveView, NightCountsView} {
		if _, err := s.bqc.Dataset(s.cfg.Dataset).Table(v).Metadata(ctx); err != nil {
			t.Errorf("view %s: %v", v, err)
		}
	}
}
