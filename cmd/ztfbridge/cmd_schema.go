package main

import (
	"context"

	"github.com/ztfbridge/ztfbridge/internal/core/bqrow"
)

// runSchema prints the BigQuery schema of the alerts table as JSON, the
// form "bq mk --schema" and terraform's google_bigquery_table take.
func runSchema(_ context.Context, e env, args []string) error {
	fs := newFlagSet(e, "schema")
	cutouts := fs.Bool("cutouts", false, "include the cutout_* BYTES columns")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	b, err := bqrow.SchemaJSON(bqrow.Options{Cutouts: *cutouts})
	if err != nil {
		return err
	}
	_, err = e.stdout.Write(b)
	return err
}
