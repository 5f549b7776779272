// Package reconcile proves, for one night, that every alert ZTF produced is
// in every stage of the pipeline, names the ones that are not, and brings
// them back. It is what "ztfbridge reconcile --night YYYYMMDD [--repair]"
// runs:
//
//	cfg := reconcile.DefaultConfig()
//	cfg.Stages.Brokers = []string{"public.alerts.ztf.uw.edu:9092"}
//	cfg.Stages.Bucket, cfg.Stages.Project = "my-alerts", "my-project"
//	r, err := reconcile.Run(ctx, cfg, night)     // the candids of every stage, compared
//	reconcile.WriteTable(os.Stdout, r, nil)      // or WriteJSON, WriteLists
//	if !r.OK() {
//		res, err := reconcile.Repair(ctx, cfg, r, reconcile.InGCS|reconcile.InBigQuery)
//	}
//
// A stage left unconfigured is not read; a topic the brokers no longer
// retain leaves GCS and BigQuery compared with each other, and BigQuery
// repaired from GCS. Example is a whole run against a deployment.
//
// docs/operating.md ("The morning check") is the manual: what each stage
// is read from, missing and unexpected alerts, the output and exit status,
// memory and measured speed, and what --repair and --stage do.
package reconcile
