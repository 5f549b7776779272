// Package bqloader streams ZTF alerts from Pub/Sub into BigQuery, so that
// analysts find exactly one row per candid despite the 10am replay of
// every night, loader restarts and several loaders at once. "ztfbridge
// load" runs it.
//
// A Loader receives the messages of its subscription of the alert topic
// (one alert packet each, as the connector publishes them), writes one row
// per alert (the columns of package bqrow) to the table alerts_raw with the
// Storage Write API, and acks a message only once its row is durable.
// Analysts query the alerts view (one row per candid, whatever alerts_raw
// holds) and the light_curve and night_counts views: the SQL files of
// bqloader/sql ([ViewFiles], [ViewSQL]). Messages that cannot be loaded go,
// unchanged, to the dead-letter topic with the reason.
//
// To run one, take DefaultConfig, set what differs (AddFlags maps every
// field to a flag and a ZTFBRIDGE_* variable), then New, Run and Close:
//
//	cfg := bqloader.DefaultConfig()
//	cfg.AddFlags(fs) // or set the fields: Project, Subscription, ...
//	l, err := bqloader.New(ctx, cfg) // checks the tables (creates them with CreateResources)
//	if err != nil {
//		return err
//	}
//	defer l.Close()
//	return l.Run(ctx) // until ctx ends: then it writes or nacks what it holds
//
// Example loads a night and its replay on the local servers of
// internal/dev/stack and reads the view back.
//
// docs/bigquery.md is the analysts' side (the tables, what a value means,
// queries) and, under "How the loader works", the operators': the argument
// for one row per candid and what each failure costs, refused rows, why the
// Storage Write API, schema changes, memory, metrics and the local
// emulator's differences from BigQuery.
package bqloader
