package connector

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"time"

	"github.com/IBM/sarama"
	"github.com/xdg-go/scram"
)

// SaramaConfig translates c into the consumer-group configuration every
// member uses: a new group starts at the oldest offset, and marked offsets
// are committed every CommitEvery (the connector marks only acknowledged
// ones).
func (c *Config) SaramaConfig() (*sarama.Config, error) {
	sc := sarama.NewConfig()
	v, err := sarama.ParseKafkaVersion(c.KafkaVersion)
	if err != nil {
		return nil, fmt.Errorf("--kafka-version: %w", err)
	}
	if !v.IsAtLeast(sarama.V2_8_0_0) {
		return nil, fmt.Errorf("--kafka-version %s: need at least 2.8.0", v)
	}
	sc.Version = v
	sc.ClientID = "ztfbridge-connector"
	// Polling must not create the topic it waits for.
	sc.Metadata.AllowAutoTopicCreation = false

	sc.Consumer.Offsets.Initial = sarama.OffsetOldest
	sc.Consumer.Offsets.AutoCommit.Enable = true
	sc.Consumer.Offsets.AutoCommit.Interval = c.CommitEvery
	// Fetch and group errors (commits among them) come on the group's
	// Errors channel: the connector logs and counts them.
	sc.Consumer.Return.Errors = true
	sc.Consumer.Fetch.Default = int32(c.FetchBytes)
	sc.ChannelBufferSize = c.BatchSize
	// A revoked partition drains its in-flight publishes before it is
	// released; give it that long and a margin.
	sc.Consumer.Group.Rebalance.Timeout = c.DrainTimeout + 15*time.Second

	if c.TLS {
		tc, err := c.tlsConfig()
		if err != nil {
			return nil, err
		}
		sc.Net.TLS.Enable = true
		sc.Net.TLS.Config = tc
	}
	if c.SASLMechanism != "" {
		sc.Net.SASL.Enable = true
		sc.Net.SASL.Handshake = true
		sc.Net.SASL.User = c.SASLUser
		if sc.Net.SASL.Password, err = c.saslPassword(); err != nil {
			return nil, err
		}
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

func (c *Config) tlsConfig() (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: c.TLSSkipVerify} //nolint:gosec // opt-in flag for test brokers
	if c.TLSCAFile != "" {
		pem, err := os.ReadFile(c.TLSCAFile)
		if err != nil {
			return nil, fmt.Errorf("--tls-ca-file: %w", err)
		}
		tc.RootCAs = x509.NewCertPool()
		if !tc.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--tls-ca-file %s: no PEM certificate in it", c.TLSCAFile)
		}
	}
	if c.TLSCertFile != "" || c.TLSKeyFile != "" {
		cert, err := tls.LoadX509KeyPair(c.TLSCertFile, c.TLSKeyFile)
		if err != nil {
			return nil, fmt.Errorf("--tls-cert-file/--tls-key-file: %w", err)
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
