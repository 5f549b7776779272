// Package kafkaclient builds the sarama client every ztfbridge command uses
// to reach Kafka, from one set of flags:
//
//	cfg := kafkaclient.DefaultConfig()
//	cfg.ClientID = "ztfbridge-reconcile"
//	cfg.AddFlags(fs)        // --brokers --kafka-version --tls* --sasl-*
//	... parse fs ...
//	client, err := cfg.Connect()
//	defer client.Close()
//	ranges, err := kafkaclient.Offsets(client, topic)
//
// Sarama() returns the *sarama.Config alone, for a command that adds its
// own producer or consumer settings before connecting.
//
// # The connector's settings, field for field
//
// Config's fields have the names, flags, help texts and meanings of the
// Kafka fields of connector.Config (Brokers, KafkaVersion, TLS, TLSCAFile,
// TLSCertFile, TLSKeyFile, TLSSkipVerify, SASLMechanism, SASLUser,
// SASLPassword, SASLPasswordFile), so that connector.Config can embed a
// Config in their place without changing a flag or a use site: its
// SaramaConfig becomes Sarama() plus the consumer-group settings.
//
// # Versions
//
// The version is at least 2.8.0 (DefaultVersion): older protocol versions
// make sarama speak requests that kfake, the local stack's Kafka, does not
// answer, and ZTF's brokers are newer. The client never creates a topic
// by asking for its metadata.
package kafkaclient

import (
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/IBM/sarama"
	"github.com/xdg-go/scram"

	"github.com/ztfbridge/ztfbridge/internal/core/config"
)

// DefaultVersion is the Kafka protocol version spoken by default, and the
// oldest accepted.
const DefaultVersion = "2.8.0"

// Config says how to reach the brokers. Each field but ClientID is one flag
// (AddFlags); the zero TLS and SASL fields mean plaintext without
// authentication, as ZTF's public stream is served.
type Config struct {
	Brokers      []string // --brokers: bootstrap brokers, host:port
	KafkaVersion string   // --kafka-version: protocol version spoken to the brokers (>= 2.8.0)

	TLS              bool   // --tls
	TLSCAFile        string // --tls-ca-file: PEM CA bundle; empty = system roots
	TLSCertFile      string // --tls-cert-file: PEM client certificate (mutual TLS)
	TLSKeyFile       string // --tls-key-file: PEM client key
	TLSSkipVerify    bool   // --tls-skip-verify
	SASLMechanism    string // --sasl-mechanism: "", PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512
	SASLUser         string // --sasl-user
	SASLPassword     string // --sasl-password (prefer the environment variable); never logged
	SASLPasswordFile string // --sasl-password-file: read the password from this file

	// ClientID names the command in the brokers' logs and quotas
	// (ztfbridge-count, ztfbridge-reconcile, ...). Not a flag.
	ClientID string
}

// DefaultConfig returns no brokers, DefaultVersion and no security.
func DefaultConfig() Config {
	return Config{KafkaVersion: DefaultVersion}
}

// AddFlags defines one flag per field of c on fs (and so, with
// internal/core/config, one ZTFBRIDGE_* variable), with c's values as defaults,
// writing into c.
func (c *Config) AddFlags(fs *flag.FlagSet) {
	fs.Var(config.List(&c.Brokers), "brokers", "comma-separated Kafka bootstrap brokers `host:port,...`")
	fs.StringVar(&c.KafkaVersion, "kafka-version", c.KafkaVersion, "Kafka protocol version of the brokers, at least "+DefaultVersion)
	fs.BoolVar(&c.TLS, "tls", c.TLS, "connect to Kafka over TLS")
	fs.StringVar(&c.TLSCAFile, "tls-ca-file", c.TLSCAFile, "PEM file of CA certificates for Kafka TLS (default: system roots)")
	fs.StringVar(&c.TLSCertFile, "tls-cert-file", c.TLSCertFile, "PEM client certificate for Kafka mutual TLS")
	fs.StringVar(&c.TLSKeyFile, "tls-key-file", c.TLSKeyFile, "PEM client key for Kafka mutual TLS")
	fs.BoolVar(&c.TLSSkipVerify, "tls-skip-verify", c.TLSSkipVerify, "do not verify the Kafka brokers' certificates (testing only)")
	fs.StringVar(&c.SASLMechanism, "sasl-mechanism", c.SASLMechanism, "Kafka SASL mechanism: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (default: no SASL)")
	fs.StringVar(&c.SASLUser, "sasl-user", c.SASLUser, "Kafka SASL user")
	fs.StringVar(&c.SASLPassword, "sasl-password", c.SASLPassword, "Kafka SASL password; set it through the environment variable\nor --sasl-password-file, not on the command line")
	fs.StringVar(&c.SASLPasswordFile, "sasl-password-file", c.SASLPasswordFile, "file holding the Kafka SASL password")
}

// Validate reports every setting that cannot work, joined, without
// contacting the brokers. Sarama and Connect check too.
func (c Config) Validate() error {
	_, err := c.resolve()
	return err
}

// resolved is what a Config's settings stand for once its files are read.
type resolved struct {
	version  sarama.KafkaVersion
	tls      *tls.Config // nil without TLS
	password string      // the SASL password
}

// resolve checks c, reading its TLS and password files once, and returns
// what they hold. Its error joins every setting that cannot work.
func (c Config) resolve() (resolved, error) {
	var (
		r   resolved
		chk config.Check
		err error
	)
	if len(c.Brokers) == 0 {
		chk.Fail("Brokers", "lists no Kafka broker")
	}
	if r.version, err = c.version(); err != nil {
		chk.Nest("", err)
	}
	if c.TLS {
		if r.tls, err = c.tlsConfig(); err != nil {
			chk.Nest("", err)
		}
	}
	switch c.SASLMechanism {
	case "", sarama.SASLTypePlaintext, sarama.SASLTypeSCRAMSHA256, sarama.SASLTypeSCRAMSHA512:
	default:
		chk.Fail("SASLMechanism", "%q: want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", c.SASLMechanism)
	}
	if c.SASLMechanism != "" {
		if r.password, err = c.Password(); err != nil {
			chk.Nest("", err)
		}
		if c.SASLUser == "" || r.password == "" {
			chk.Fail("SASLMechanism", "%s needs %s and a password", c.SASLMechanism, config.Ref("SASLUser"))
		}
	}
	return r, chk.Err()
}

func (c Config) version() (sarama.KafkaVersion, error) {
	v, err := sarama.ParseKafkaVersion(c.KafkaVersion)
	if err != nil {
		return v, config.Errorf("KafkaVersion", "%v", err)
	}
	if !v.IsAtLeast(sarama.V2_8_0_0) {
		return v, config.Errorf("KafkaVersion", "%s: need at least %s", v, DefaultVersion)
	}
	return v, nil
}

// Password is SASLPassword, or the first line of SASLPasswordFile when it
// is set.
func (c Config) Password() (string, error) {
	if c.SASLPasswordFile == "" {
		return c.SASLPassword, nil
	}
	b, err := os.ReadFile(c.SASLPasswordFile)
	if err != nil {
		return "", config.Errorf("SASLPasswordFile", "cannot be read: %v", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimRight(line, "\r"), nil
}

// Sarama returns sarama's configuration for c: version, client id, TLS and
// SASL, no topic auto-creation, sarama's defaults otherwise.
func (c Config) Sarama() (*sarama.Config, error) {
	r, err := c.resolve()
	if err != nil {
		return nil, err
	}
	sc := sarama.NewConfig()
	sc.Version = r.version
	if c.ClientID != "" {
		sc.ClientID = c.ClientID
	}
	sc.Metadata.AllowAutoTopicCreation = false
	if r.tls != nil {
		sc.Net.TLS.Enable = true
		sc.Net.TLS.Config = r.tls
	}
	if c.SASLMechanism != "" {
		sc.Net.SASL.Enable = true
		sc.Net.SASL.Handshake = true
		sc.Net.SASL.User = c.SASLUser
		sc.Net.SASL.Password = r.password
		sc.Net.SASL.Mechanism = sarama.SASLMechanism(c.SASLMechanism)
		switch c.SASLMechanism {
		case sarama.SASLTypeSCRAMSHA256:
			sc.Net.SASL.SCRAMClientGeneratorFunc = func() sarama.SCRAMClient { return &scramClient{hash: scram.SHA256} }
		case sarama.SASLTypeSCRAMSHA512:
			sc.Net.SASL.SCRAMClientGeneratorFunc = func() sarama.SCRAMClient { return &scramClient{hash: scram.SHA512} }
		}
	}
	if err := sc.Validate(); err != nil {
		return nil, fmt.Errorf("kafka configuration: %w", err)
	}
	return sc, nil
}

// Connect returns a client of the brokers, configured by Sarama. The
// caller closes it.
func (c Config) Connect() (sarama.Client, error) {
	sc, err := c.Sarama()
	if err != nil {
		return nil, err
	}
	client, err := sarama.NewClient(c.Brokers, sc)
	if err != nil {
		return nil, fmt.Errorf("connect to %v: %w", c.Brokers, err)
	}
	return client, nil
}

func (c Config) tlsConfig() (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: c.TLSSkipVerify} //nolint:gosec // opt-in flag for test brokers
	if c.TLSCAFile != "" {
		pem, err := os.ReadFile(c.TLSCAFile)
		if err != nil {
			return nil, config.Errorf("TLSCAFile", "cannot be read: %v", err)
		}
		tc.RootCAs = x509.NewCertPool()
		if !tc.RootCAs.AppendCertsFromPEM(pem) {
			return nil, config.Errorf("TLSCAFile", "%s holds no PEM certificate", c.TLSCAFile)
		}
	}
	if c.TLSCertFile != "" || c.TLSKeyFile != "" {
		cert, err := tls.LoadX509KeyPair(c.TLSCertFile, c.TLSKeyFile)
		if err != nil {
			return nil, config.Errorf("TLSCertFile", "and %s: %v", config.Ref("TLSKeyFile"), err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

// scramClient is sarama's SCRAM conversation, done by xdg-go/scram.
type scramClient struct {
	hash scram.HashGeneratorFcn
	conv *scram.ClientConversation
}

func (s *scramClient) Begin(user, password, authzID string) error {
	cl, err := s.hash.NewClient(user, password, authzID)
	if err != nil {
		return err
	}
	s.conv = cl.NewConversation()
	return nil
}

func (s *scramClient) Step(challenge string) (string, error) { return s.conv.Step(challenge) }
func (s *scramClient) Done() bool                            { return s.conv.Done() }

// Range is the span of offsets a partition retains: messages Oldest to
// Newest-1. Newest is the offset the next message will get (the high
// watermark).
type Range struct {
	Oldest, Newest int64
}

// Len is the number of offsets in r.
func (r Range) Len() int64 { return r.Newest - r.Oldest }

// Offsets returns the retained range of every partition of topic. A topic
// the brokers do not have is an error wrapping sarama.ErrUnknownTopicOrPartition.
func Offsets(client sarama.Client, topic string) (map[int32]Range, error) {
	parts, err := client.Partitions(topic)
	if err != nil {
		return nil, fmt.Errorf("partitions of %s: %w", topic, err)
	}
	ranges := make(map[int32]Range, len(parts))
	for _, p := range parts {
		var r Range
		if r.Oldest, err = client.GetOffset(topic, p, sarama.OffsetOldest); err != nil {
			return nil, fmt.Errorf("oldest offset of %s/%d: %w", topic, p, err)
		}
		if r.Newest, err = client.GetOffset(topic, p, sarama.OffsetNewest); err != nil {
			return nil, fmt.Errorf("newest offset of %s/%d: %w", topic, p, err)
		}
		ranges[p] = r
	}
	return ranges, nil
}
