package config_test

import (
	"errors"
	"flag"
	"fmt"
	"testing"
	"time"

	"github.com/ztfbridge/ztfbridge/internal/core/config"
	"github.com/ztfbridge/ztfbridge/internal/core/night"
)

// kafka, stages and settings are a Config of the usual shape: an embedded
// Config, a nested one, flags of every kind the commands use.
type kafka struct {
	Brokers []string
	Version string
}

func (k *kafka) AddFlags(fs *flag.FlagSet) {
	fs.Var(config.List(&k.Brokers), "brokers", "brokers")
	fs.StringVar(&k.Version, "kafka-version", k.Version, "version")
}

func (k kafka) Validate() error {
	var chk config.Check
	if len(k.Brokers) == 0 {
		chk.Fail("Brokers", "lists no broker")
	}
	chk.Require("Version", k.Version)
	return chk.Err()
}

type stages struct {
	kafka
	Bucket string // the first field of stages: its address is the struct's
}

type settings struct {
	Stages    stages
	Night     night.Night
	BatchRows int
	Delay     time.Duration
	Verbose   bool
	NoFlag    string
}

func (s *stages) AddFlags(fs *flag.FlagSet) {
	s.kafka.AddFlags(fs)
	fs.StringVar(&s.Bucket, "bucket", s.Bucket, "bucket")
}

func (s *settings) AddFlags(fs *flag.FlagSet) {
	s.Stages.AddFlags(fs)
	fs.TextVar(&s.Night, "night", s.Night, "night")
	fs.IntVar(&s.BatchRows, "batch-rows", s.BatchRows, "rows")
	fs.DurationVar(&s.Delay, "batch-delay", s.Delay, "delay")
	fs.BoolVar(&s.Verbose, "verbose", s.Verbose, "verbose")
}

func (s settings) Validate() error {
	var chk config.Check
	chk.Nest("Stages", s.Stages.Validate())
	chk.Require("Stages.Bucket", s.Stages.Bucket)
	if s.Night.IsZero() && s.Verbose {
		chk.Fail("Night", "is required with %s", config.Ref("Verbose"))
	}
	chk.Positive("BatchRows", int64(s.BatchRows))
	if s.Delay > time.Minute {
		chk.Fail("Delay", "must be below a minute, not %s, for %s %d", s.Delay, config.Ref("BatchRows"), s.BatchRows)
	}
	chk.Require("NoFlag", s.NoFlag)
	chk.Fail("NoFlag", "must not be %q", "BatchRows") // a value, not a Ref: never renamed
	chk.Nest("", errors.New("a problem of no field"))
	return chk.Err()
}

func TestInFlags(t *testing.T) {
	s := settings{Delay: 2 * time.Minute, Verbose: true}
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	s.AddFlags(fs)
	err := s.Validate()
	want := map[string]string{
		"own terms": "Stages.Brokers lists no broker\nStages.Version is required\nStages.Bucket is required\n" +
			"Night is required with Verbose\nBatchRows must be positive\nDelay must be below a minute, not 2m0s, for BatchRows 0\n" +
			"NoFlag is required\nNoFlag must not be \"BatchRows\"\na problem of no field",
		"flags": "--brokers lists no broker\n--kafka-version is required\n--bucket is required\n" +
			"--night is required with --verbose\n--batch-rows must be positive\n--batch-delay must be below a minute, not 2m0s, for --batch-rows 0\n" +
			"NoFlag is required\nNoFlag must not be \"BatchRows\"\na problem of no field",
		"environment": "ZTFBRIDGE_BROKERS lists no broker\nZTFBRIDGE_KAFKA_VERSION is required\nZTFBRIDGE_BUCKET is required\n" +
			"ZTFBRIDGE_NIGHT is required with ZTFBRIDGE_VERBOSE\nZTFBRIDGE_BATCH_ROWS must be positive\n" +
			"ZTFBRIDGE_BATCH_DELAY must be below a minute, not 2m0s, for ZTFBRIDGE_BATCH_ROWS 0\n" +
			"NoFlag is required\nNoFlag must not be \"BatchRows\"\na problem of no field",
	}
	for name, got := range map[string]error{
		"own terms":   err,
		"flags":       config.InFlags(err, fs, &s),
		"environment": config.InEnv(err, fs, &s),
	} {
		if got == nil || got.Error() != want[name] {
			t.Errorf("%s:\n%v\nwant\n%s", name, got, want[name])
		}
	}
	if err := config.InFlags(nil, fs, &s); err != nil {
		t.Errorf("InFlags(nil) = %v", err)
	}
}

// A Config's Validate speaks of its fields; a command puts its answer in
// the terms of the flags the user gave.
func ExampleInFlags() {
	type Config struct {
		Project   string
		BatchRows int
	}
	var cfg Config
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.StringVar(&cfg.Project, "project", "", "project of the dataset")
	fs.IntVar(&cfg.BatchRows, "batch-rows", 0, "rows per append")

	validate := func(c Config) error {
		var chk config.Check
		chk.Require("Project", c.Project)
		chk.Positive("BatchRows", int64(c.BatchRows))
		return chk.Err()
	}
	err := validate(cfg)
	fmt.Println(err)
	fmt.Println(config.InFlags(err, fs, &cfg))
	// Output:
	// Project is required
	// BatchRows must be positive
	// --project is required
	// --batch-rows must be positive
}
