package connector

import (
	"time"

	"github.com/IBM/sarama"
)

// SaramaConfig translates c into the consumer-group configuration every
// member uses: the brokers' connection (kafkaclient: version, TLS, SASL),
// a new group starting at the oldest offset, and marked offsets committed
// every CommitEvery (the connector marks only acknowledged ones).
func (c *Config) SaramaConfig() (*sarama.Config, error) {
	sc, err := c.Config.Sarama()
	if err != nil {
		return nil, err
	}
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
	// A member learns of a rebalance from its next heartbeat: keep
	// sarama's 3 s however long the session, a third of it if shorter.
	sc.Consumer.Group.Session.Timeout = c.SessionTimeout
	sc.Consumer.Group.Heartbeat.Interval = min(3*time.Second, c.SessionTimeout/3)
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	return sc, nil
}
