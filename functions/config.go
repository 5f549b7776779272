package functions

import (
	"flag"
	"regexp"
	"strings"

	"github.com/ztfbridge/ztfbridge/internal/core/config"
	"github.com/ztfbridge/ztfbridge/internal/core/night"
)

// Config is everything the function needs to know. Every field is a flag of
// "ztfbridge serve-function" and an environment variable of the deployed
// function (see AddFlags); DefaultConfig holds the defaults.
type Config struct {
	// Bucket receives the alerts. Required.
	Bucket string

	// Prefix is put before every alert object name. It may use the
	// placeholders {topic}, {night} (YYYYMMDD), {year}, {month} and {day} of
	// the alert's night. Empty (the default) stores alerts at the bucket
	// root, where "gsutil ls gs://BUCKET/ztf_YYYYMMDD_programid1_*.avro"
	// counts a night.
	Prefix string

	// QuarantinePrefix is the folder where messages that are not alerts are
	// kept, with the reason in the object's metadata. It ends in "/", so
	// that quarantined objects never match a night's glob.
	QuarantinePrefix string
}

// DefaultConfig returns the configuration for the public ZTF stream, minus
// the bucket.
func DefaultConfig() Config {
	return Config{
		QuarantinePrefix: "quarantine/",
	}
}

// AddFlags defines one flag per field of c on fs, with c's values as
// defaults. With internal/core/config each flag is also read from the
// environment: --bucket from ZTFBRIDGE_BUCKET.
func (c *Config) AddFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Bucket, "bucket", c.Bucket, "GCS `bucket` that receives one object per alert (required)")
	fs.StringVar(&c.Prefix, "prefix", c.Prefix,
		"`template` put before each alert object name; placeholders {topic} {night} {year} {month} {day}")
	fs.StringVar(&c.QuarantinePrefix, "quarantine-prefix", c.QuarantinePrefix,
		"object name `prefix` for messages that are not alerts (kept with the reason in metadata)")
}

// placeholder matches one {name} in a prefix template.
var placeholder = regexp.MustCompile(`\{[^{}]*\}`)

// prefixFields maps each placeholder to its value for a night and topic.
func prefixFields(n night.Night, topic string) *strings.Replacer {
	t := n.Time()
	return strings.NewReplacer(
		"{topic}", topic,
		"{night}", n.String(),
		"{year}", t.Format("2006"),
		"{month}", t.Format("01"),
		"{day}", t.Format("02"),
	)
}

// Validate reports every setting that cannot work, joined. It changes
// nothing; New calls it.
func (c Config) Validate() error {
	var chk config.Check
	chk.Require("Bucket", c.Bucket)
	for _, p := range placeholder.FindAllString(c.Prefix, -1) {
		if prefixFields(night.Night{}, "").Replace(p) == p {
			chk.Fail("Prefix", "%q: unknown placeholder %s; want {topic} {night} {year} {month} or {day}", c.Prefix, p)
		}
	}
	if !strings.HasSuffix(c.QuarantinePrefix, "/") {
		chk.Fail("QuarantinePrefix", "%q must be a folder ending in /, such as quarantine/, so that no night's glob matches it", c.QuarantinePrefix)
	}
	return chk.Err()
}
