package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/ztfbridge/ztfbridge/internal/core/alert"
	"github.com/ztfbridge/ztfbridge/internal/core/bqrow"
	"github.com/ztfbridge/ztfbridge/internal/core/cli"
	"github.com/ztfbridge/ztfbridge/internal/core/night"
)

// inspectLine is the line "ztfbridge inspect" prints for an alert.
type inspectLine struct {
	File           string      `json:"file"`
	Candid         int64       `json:"candid,string"` // a string: jq and JavaScript read numbers as float64, and candid is beyond 2^53
	ObjectID       string      `json:"objectId"`
	SchemaVsn      string      `json:"schemavsn"`
	SchemaVersion  string      `json:"schema_version"`
	Night          night.Night `json:"night"`
	Topic          string      `json:"topic"`
	NPrvCandidates int         `json:"n_prv_candidates"`
	NUpperLimits   int         `json:"n_upper_limits"`
	NFPHists       int         `json:"n_fp_hists"`
	NCutouts       int         `json:"n_cutouts"`
	Row            *bqrow.Row  `json:"row,omitempty"`
}

// inspectError is the line for a file that does not decode.
type inspectError struct {
	File  string `json:"file"`
	Error string `json:"error"`
}

// runInspect decodes alert files and prints one JSON line per alert; a
// file that does not decode gets one line with its error, and the exit
// status is then 1.
func runInspect(_ context.Context, e cli.Env, args []string) error {
	fs := cli.NewFlagSet(e, "inspect")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: ztfbridge inspect [--row] FILE...")
		fs.PrintDefaults()
	}
	withRow := fs.Bool("row", false, "add the alert's BigQuery row, in BigQuery's JSON form (integers as strings, NULL columns left out)")
	cutouts := fs.Bool("cutouts", false, "with --row, include the cutout columns")
	if err := cli.ParseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return cli.ErrUsage
	}
	d := alert.NewDecoder()
	out := json.NewEncoder(e.Stdout)
	failed := false
	for _, file := range fs.Args() {
		alerts, err := decodeFile(d, file)
		if err != nil {
			failed = true
			if err := out.Encode(inspectError{File: file, Error: err.Error()}); err != nil {
				return err
			}
			continue
		}
		for _, a := range alerts {
			line := inspectLine{
				File: file, Candid: a.Candid, ObjectID: a.ObjectID,
				SchemaVsn: a.SchemaVsn, SchemaVersion: a.SchemaVersion, Topic: a.Topic(),
				NPrvCandidates: len(a.PrvCandidates), NUpperLimits: a.UpperLimits(),
				NFPHists: len(a.FPHists), NCutouts: len(a.Cutouts()), Night: a.Night,
			}
			if *withRow {
				line.Row = bqrow.New(a, bqrow.Ingest{}, bqrow.Options{Cutouts: *cutouts})
			}
			if err := out.Encode(line); err != nil {
				return err
			}
		}
	}
	if failed {
		return cli.ExitError(1)
	}
	return nil
}

func decodeFile(d *alert.Decoder, file string) ([]*alert.Alert, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return d.Decode(b)
}
