package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/ztfbridge/ztfbridge/internal/core/cli"
	"github.com/ztfbridge/ztfbridge/internal/core/deps"
	"github.com/ztfbridge/ztfbridge/internal/ops/reconcile"
)

// Exit statuses of reconcile (docs/operating.md).
const (
	reconcileMissing    = 1 // some alert is not in every stage read (with --repair: it was sent again)
	reconcileUnreadable = 3 // a configured stage could not be read
	reconcileRepairFail = 4 // --repair could not send every missing alert
)

// runReconcile lists the candids of one night at every stage and the
// differences (package reconcile), and with --repair sends the missing
// alerts again. It exits 0 when every alert is everywhere, 1 when some are
// missing, 2 on a bad command line, 3 when a stage could not be read and 4
// when the repair failed.
func runReconcile(ctx context.Context, e cli.Env, args []string) error {
	cfg := reconcile.DefaultConfig()
	fs := cli.NewFlagSet(e, "reconcile")
	day := nightFlag(fs, "the night to reconcile, `YYYYMMDD` (UTC date of the topic ztf_YYYYMMDD_programid1); required")
	asJSON := fs.Bool("json", false, "print a JSON summary line, then one JSON line per missing, unexpected, dead-lettered,\nquarantined, duplicated or stray entry, instead of the table")
	out := fs.String("out", "", "also write every entry of the lists to this `file`, tab-separated")
	repair := fs.Bool("repair", false, "send the missing alerts again, read from Kafka by their offsets (or, for BigQuery,\nfrom their GCS objects when Kafka no longer has them)")
	stage := fs.String("stage", "all", "with --repair: all = publish to the alert topic (function and loader);\ngcs = write the objects straight into the bucket with the function's code;\nbigquery = publish only the alerts missing from BigQuery")
	if err := cli.ParseSettings(e, fs, args, &cfg, "night"); err != nil {
		return err
	}
	target, err := reconcile.ParseStage(*stage)
	if err != nil {
		fmt.Fprintf(e.Stderr, "ztfbridge reconcile: %v\n", err)
		return cli.ErrUsage
	}
	r, err := reconcile.Run(ctx, cfg, *day, deps.WithLogger(e.Log))
	if err != nil {
		e.Log.Error("reconcile failed", "night", *day, "err", err)
		return cli.ExitError(reconcileUnreadable)
	}
	var res *reconcile.RepairResult
	var repairErr error
	if *repair {
		res, repairErr = reconcile.Repair(ctx, cfg, r, target, deps.WithLogger(e.Log))
	}
	write := reconcile.WriteTable
	if *asJSON {
		write = reconcile.WriteJSON
	}
	if err := write(e.Stdout, r, res); err != nil {
		return err
	}
	if *out != "" {
		if err := writeLists(*out, r); err != nil {
			return err
		}
	}
	switch {
	case repairErr != nil:
		e.Log.Error("repair failed", "night", *day, "err", repairErr)
		return cli.ExitError(reconcileRepairFail)
	case !r.OK():
		return cli.ExitError(reconcileMissing)
	}
	return nil
}

func writeLists(name string, r *reconcile.Report) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	return errors.Join(reconcile.WriteLists(f, r), f.Close())
}
