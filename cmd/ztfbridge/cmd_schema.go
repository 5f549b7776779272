package main

import (
	"context"

	"github.com/ztfbridge/ztfbridge/internal/core/bqrow"
	"github.com/ztfbridge/ztfbridge/internal/core/cli"
)

// runSchema prints the BigQuery schema of the alerts table as JSON, the
// form "bq mk --schema" and terraform's google_bigquery_table take.
func runSchema(_ context.Context, e cli.Env, args []string) error {
	fs := cli.NewFlagSet(e, "schema")
	cutouts := fs.Bool("cutouts", false, "include the cutout_* BYTES columns")
	if err := cli.ParseFlags(fs, args); err != nil {
		return err
	}
	b, err := bqrow.SchemaJSON(bqrow.Options{Cutouts: *cutouts})
	if err != nil {
		return err
	}
	_, err = e.Stdout.Write(b)
	return err
}
