package stack

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"cloud.google.com/go/bigquery"
	"google.golang.org/api/iterator"
)

type testRow struct {
	Candid   int64  `bigquery:"candid"`
	ObjectID string `bigquery:"objectId"`
}

// TestBigQuery creates a table, streams rows into it, reads them back
// with SQL through the Go client and through the bq command line, and
// checks that Close leaves no process behind.
func TestBigQuery(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	started := time.Now()
	b, err := StartBigQuery(ctx, testLogger(t), BigQueryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	t.Logf("started in %v", time.Since(started))
	c, err := b.Client(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	ds := c.Dataset("ztf")
	if err := ds.Create(ctx, nil); err != nil {
		t.Fatal(err)
	}
	schema, err := bigquery.InferSchema(testRow{})
	if err != nil {
		t.Fatal(err)
	}
	table := ds.Table("alerts")
	if err := table.Create(ctx, &bigquery.TableMetadata{Schema: schema}); err != nil {
		t.Fatal(err)
	}
	rows := []*testRow{{1, "ZTF24aaaaaaa"}, {2, "ZTF24aaaaaab"}, {3, "ZTF24aaaaaab"}}
	if err := table.Inserter().Put(ctx, rows); err != nil {
		t.Fatal(err)
	}

	it, err := c.Query("SELECT COUNT(*) AS n, COUNT(DISTINCT objectId) AS objects FROM ztf.alerts").Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got struct{ N, Objects int64 }
	if err := it.Next(&got); err != nil && err != iterator.Done {
		t.Fatal(err)
	}
	if got.N != 3 || got.Objects != 2 {
		t.Errorf("query: %d rows of %d objects, want 3 of 2", got.N, got.Objects)
	}

	bq := exec.CommandContext(ctx, "bq", "--format=csv", "query", "--nouse_legacy_sql", "SELECT SUM(candid) AS s FROM ztf.alerts")
	bq.Env = append(os.Environ(), append(b.Env(), CLIEnv(b.Project)...)...)
	out, err := bq.CombinedOutput()
	if err != nil {
		t.Fatalf("bq: %v\n%s", err, out)
	}
	if lines := strings.Fields(string(out)); len(lines) < 2 || lines[len(lines)-1] != "6" {
		t.Errorf("bq printed %q, want s and 6", out)
	}

	pid := b.PID()
	b.Close()
	if err := syscall.Kill(-pid, 0); err != syscall.ESRCH {
		t.Errorf("process group %d still exists after Close (kill -0: %v)", pid, err)
	}
}
