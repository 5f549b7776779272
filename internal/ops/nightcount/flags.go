package nightcount

import "flag"

// AddFlags defines one flag per field of c on fs (and so, with
// internal/core/config, one ZTFBRIDGE_* variable), with c's values as defaults.
func (c *Config) AddFlags(fs *flag.FlagSet) {
	c.Config.AddFlags(fs)
	brokers := fs.Lookup("brokers")
	brokers.Usage += "; empty = leave Kafka out"
	fs.StringVar(&c.Bucket, "bucket", c.Bucket, "alert `bucket` (terraform output alert_bucket); empty = do not count Pub/Sub and GCS.\nThe storage client honours STORAGE_EMULATOR_HOST")
	fs.StringVar(&c.Project, "project", c.Project, "BigQuery `project`; empty = do not count BigQuery")
	fs.StringVar(&c.Dataset, "dataset", c.Dataset, "BigQuery `dataset` (terraform output dataset)")
	fs.StringVar(&c.Table, "table", c.Table, "BigQuery `table` or view counted; the alerts view has one row per candid, alerts_raw every row written")
	fs.StringVar(&c.BigQueryAPI, "bigquery-api", c.BigQueryAPI, "BigQuery REST `endpoint`, e.g. http://127.0.0.1:9050 for the local emulator;\nempty = Google's, with Application Default Credentials")
}
