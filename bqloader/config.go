package bqloader

import (
	"flag"
	"time"

	"cloud.google.com/go/bigquery/storage/managedwriter"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/ztfbridge/ztfbridge/internal/core/config"
)

// Config is everything the loader can be told. Each field is one
// command-line flag (see AddFlags, which also holds the help text);
// DefaultConfig holds every default. What is not a setting (logger,
// metrics registry, clock, Google client options) is an deps.Option of New.
type Config struct {
	// Pub/Sub.
	PubSubProject   string // --pubsub-project: project of the topics and the subscription; empty = Project
	Subscription    string // --subscription: the loader's own subscription
	PubSubTopic     string // --pubsub-topic: the alert topic; the subscription is created on it when missing
	DeadLetterTopic string // --deadletter-topic: where undecodable messages and rejected rows go

	// Flow control: the loader's memory at any backlog.
	MaxOutstandingMessages int // --max-outstanding-messages
	MaxOutstandingBytes    int // --max-outstanding-bytes

	// BigQuery.
	Project         string // --project: project of the dataset
	Dataset         string // --dataset
	Location        string // --location: of the dataset, when the loader creates it
	Cutouts         bool   // --cutouts: store the three FITS cutouts in the row
	BigQueryAPI     string // --bigquery-api: REST endpoint; empty = Google's (set for the emulator)
	StorageWriteAPI string // --bigquery-storage-api: gRPC endpoint of the Storage Write API; empty = Google's

	// Batching.
	BatchRows      int           // --batch-rows: rows per append
	BatchBytes     int           // --batch-bytes: encoded bytes per append
	BatchDelay     time.Duration // --batch-delay: longest wait to fill a batch
	WritesInFlight int           // --writes-in-flight: appends waiting for BigQuery at once
	AppendTimeout  time.Duration // --append-timeout: an append not answered by then is retried

	// Dedup.
	DedupNights  int           // --dedup-nights: nights whose candids are remembered
	DedupRefresh time.Duration // --dedup-refresh: how often other loaders' rows are read back

	DrainTimeout time.Duration // --drain-timeout: on SIGTERM, longest wait to write what was received

	// CreateResources (--create-resources) makes the loader create what it
	// needs when missing: its subscription, the dataset, the raw table and
	// its new columns, the views. Off in production, where Terraform owns
	// them (and the loader's IAM is smaller); on for the local stack.
	CreateResources bool
}

// DefaultConfig returns the defaults, chosen for a 2-core VM loading the
// public ZTF stream: about 80 KB per alert, about 30 KB per row without
// cutouts, 0.6-1.2 million alerts a night, bursts of 80,000 a minute.
func DefaultConfig() Config {
	return Config{
		Subscription:    "ztf-alerts-bigquery",
		PubSubTopic:     "ztf-alerts",
		DeadLetterTopic: "ztf-alerts-deadletter",

		MaxOutstandingMessages: 2000,
		MaxOutstandingBytes:    256 << 20,

		Dataset:  "ztf",
		Location: "US",

		BatchRows:      500,
		BatchBytes:     3_500_000, // the emulator takes 4 MB per request, BigQuery 10 MB
		BatchDelay:     500 * time.Millisecond,
		WritesInFlight: 3,
		AppendTimeout:  2 * time.Minute,

		DedupNights:  2,
		DedupRefresh: time.Minute,

		// Cloud Run (the worker pool) kills an instance 10 s after its
		// SIGTERM; 7 s of draining leaves 3 s to hand the rest back and
		// close the streams.
		DrainTimeout: 7 * time.Second,
	}
}

// AddFlags defines one flag per Config field on fs, with c's values as
// defaults, writing into c.
func (c *Config) AddFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.PubSubProject, "pubsub-project", c.PubSubProject, "Google Cloud project of the Pub/Sub topics and subscription (default: --project)")
	fs.StringVar(&c.Subscription, "subscription", c.Subscription, "the loader's Pub/Sub subscription; loaders sharing it share the work")
	fs.StringVar(&c.PubSubTopic, "pubsub-topic", c.PubSubTopic, "Pub/Sub topic of the alerts; the subscription is created on it when missing")
	fs.StringVar(&c.DeadLetterTopic, "deadletter-topic", c.DeadLetterTopic, "Pub/Sub topic receiving undecodable messages and rows BigQuery rejects,\nunchanged, with the reason in the \"error\" attribute")

	fs.IntVar(&c.MaxOutstandingMessages, "max-outstanding-messages", c.MaxOutstandingMessages, "messages received and not yet acknowledged; Pub/Sub waits above it\n(keep it at least --batch-rows x --writes-in-flight)")
	fs.IntVar(&c.MaxOutstandingBytes, "max-outstanding-bytes", c.MaxOutstandingBytes, "bytes received and not yet acknowledged; Pub/Sub waits above it")

	fs.StringVar(&c.Project, "project", c.Project, "Google Cloud project of the BigQuery dataset (required)")
	fs.StringVar(&c.Dataset, "dataset", c.Dataset, "BigQuery dataset of the alerts_raw table and the views")
	fs.StringVar(&c.Location, "location", c.Location, "location of the dataset when the loader creates it")
	fs.BoolVar(&c.Cutouts, "cutouts", c.Cutouts, "also store the three gzip FITS cutouts (about 45 KB a row) in BigQuery")
	fs.StringVar(&c.BigQueryAPI, "bigquery-api", c.BigQueryAPI, "BigQuery REST endpoint, e.g. http://127.0.0.1:9050 for the local emulator;\nempty = Google's, with Application Default Credentials")
	fs.StringVar(&c.StorageWriteAPI, "bigquery-storage-api", c.StorageWriteAPI, "BigQuery Storage Write API gRPC endpoint, e.g. 127.0.0.1:9060 for the local\nemulator (plaintext, no credentials); empty = Google's")

	fs.IntVar(&c.BatchRows, "batch-rows", c.BatchRows, "rows per append to BigQuery")
	fs.IntVar(&c.BatchBytes, "batch-bytes", c.BatchBytes, "encoded bytes per append to BigQuery (BigQuery takes at most 10 MB,\nthe local emulator 4 MB)")
	fs.DurationVar(&c.BatchDelay, "batch-delay", c.BatchDelay, "longest wait to fill a batch before it is written")
	fs.IntVar(&c.WritesInFlight, "writes-in-flight", c.WritesInFlight, "batches being written at once")
	fs.DurationVar(&c.AppendTimeout, "append-timeout", c.AppendTimeout, "an append BigQuery has not answered by then counts as failed and is retried\n(it may have landed: the alerts view hides a second copy)")

	fs.IntVar(&c.DedupNights, "dedup-nights", c.DedupNights, "nights whose written candids are remembered to skip the replay\n(about 40 bytes per candid)")
	fs.DurationVar(&c.DedupRefresh, "dedup-refresh", c.DedupRefresh, "how often the candids other loaders wrote are read back from BigQuery")

	fs.BoolVar(&c.CreateResources, "create-resources", c.CreateResources, "create the subscription, dataset, raw table (and its new columns) and views when missing;\n"+
		"without it the loader only checks they are there (Terraform owns them in production)")
	fs.DurationVar(&c.DrainTimeout, "drain-timeout", c.DrainTimeout, "on SIGTERM, longest wait to write and acknowledge what was received;\nthe rest is redelivered. Keep it below the platform's kill: Cloud Run\nsends SIGKILL 10 s after SIGTERM")
}

// Validate reports every setting that cannot work, joined. It changes
// nothing; New calls it.
func (c Config) Validate() error {
	var chk config.Check
	chk.Require("Project", c.Project)
	chk.Require("Subscription", c.Subscription)
	chk.Require("PubSubTopic", c.PubSubTopic)
	chk.Require("DeadLetterTopic", c.DeadLetterTopic)
	chk.Require("Dataset", c.Dataset)
	chk.Positive("BatchRows", int64(c.BatchRows))
	chk.Positive("WritesInFlight", int64(c.WritesInFlight))
	chk.Positive("DedupNights", int64(c.DedupNights))
	const maxAppend = 10_000_000 - 100_000 // the API's limit, less the request's envelope
	if c.BatchBytes < 1 || c.BatchBytes > maxAppend {
		chk.Fail("BatchBytes", "must be between 1 and %d, not %d", maxAppend, c.BatchBytes)
	}
	chk.Positive("BatchDelay", int64(c.BatchDelay))
	chk.Positive("DedupRefresh", int64(c.DedupRefresh))
	chk.Positive("AppendTimeout", int64(c.AppendTimeout))
	return chk.Err()
}

// bigQueryOptions are the options of the BigQuery REST client: those c
// implies, then more.
func (c *Config) bigQueryOptions(more []option.ClientOption) []option.ClientOption {
	var opts []option.ClientOption
	if c.BigQueryAPI != "" {
		opts = append(opts, option.WithEndpoint(c.BigQueryAPI), option.WithoutAuthentication())
	}
	return append(opts, more...)
}

// storageWriteClientOptions are the options of the Storage Write API
// client (managedwriter.NewClient) that c implies, then more. Multiplexing makes
// every append name its stream: the emulator sends an append that does
// not to any stream it knows, of any table.
func (c *Config) storageWriteClientOptions(more []option.ClientOption) []option.ClientOption {
	opts := []option.ClientOption{managedwriter.WithMultiplexing()}
	if c.StorageWriteAPI != "" {
		opts = append(opts, option.WithEndpoint(c.StorageWriteAPI), option.WithoutAuthentication(),
			option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())))
	}
	return append(opts, more...)
}
