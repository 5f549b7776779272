package bqloader

import (
	"embed"
	"fmt"
	"strings"
)

// Table and view names in the dataset. They are fixed so that the SQL
// files, terraform and analysts agree on them; only the project and the
// dataset vary.
const (
	RawTable        = "alerts_raw"   // the table the loader streams into; may hold a candid twice
	AlertsView      = "alerts"       // one row per candid: what analysts query
	LightCurveView  = "light_curve"  // one row per detection and upper limit of an object
	NightCountsView = "night_counts" // rows, candids and duplicates per night
)

//go:embed sql/*.sql
var sqlFiles embed.FS

// ViewFiles are the SQL files under bqloader/sql, in the order they must
// run (a view must exist before a view that reads it). Each holds one
// CREATE OR REPLACE VIEW statement, so running them again is harmless.
var ViewFiles = []string{"sql/alerts.sql", "sql/light_curve.sql", "sql/night_counts.sql"}

// Placeholders of the SQL files, in terraform templatefile syntax so
// terraform can render the same files.
const (
	ProjectPlaceholder = "${project}"
	DatasetPlaceholder = "${dataset}"
)

// ViewSQL returns the statements of ViewFiles, in order, with the
// placeholders replaced by project and dataset.
func ViewSQL(project, dataset string) ([]string, error) {
	r := strings.NewReplacer(ProjectPlaceholder, project, DatasetPlaceholder, dataset)
	stmts := make([]string, 0, len(ViewFiles))
	for _, name := range ViewFiles {
		b, err := sqlFiles.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("bqloader: %w", err)
		}
		s := r.Replace(string(b))
		if i := strings.Index(s, "${"); i >= 0 {
			return nil, fmt.Errorf("bqloader: %s: unknown placeholder at %q", name, s[i:min(len(s), i+20)])
		}
		stmts = append(stmts, s)
	}
	return stmts, nil
}
