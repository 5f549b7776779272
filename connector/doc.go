// Package connector bridges the nightly ZTF Kafka topics into Pub/Sub with
// no loss: it is what "ztfbridge connect" runs on a VM all night.
//
// Each Kafka message of the consumed topics (by default tonight's,
// ztf_YYYYMMDD_programid1, then the next night's at 00:00 UTC) becomes one
// Pub/Sub message on the alert topic: the data is the message's bytes,
// unchanged, and the attributes (package attr) say where it was in Kafka
// (kafka.topic, kafka.partition, kafka.offset, kafka.timestamp) and what
// the packet is (candid, objectId, schemavsn, night). A message that is not
// one decodable alert goes to the dead-letter topic with the reason
// instead. An offset is committed only once Pub/Sub acknowledged its
// message and every earlier one of its partition, so a crash, a kill -9, a
// rebalance or a Pub/Sub outage loses nothing; the price is duplicates,
// which the archiver and the loader absorb per candid.
//
// To run one, take DefaultConfig, set what differs (AddFlags maps every
// field to a flag and a ZTFBRIDGE_* variable), then New and Run:
//
//	cfg := connector.DefaultConfig()
//	cfg.AddFlags(fs) // or set the fields: Brokers, PubSubProject, ...
//	c, err := connector.New(ctx, cfg)
//	if err != nil {
//		return err
//	}
//	defer c.Close()
//	return c.Run(ctx) // until ctx ends: then it drains, commits and returns
//
// With Config.CountsBucket set, the connector keeps a [TopicTally] of each
// topic in GCS, which [ReadTally] reads ("ztfbridge count" does). Example
// runs a connector against the local servers of internal/dev/stack.
//
// docs/connector.md is the manual: topics and nights, every flag, the
// argument that nothing is lost, stopping and rebalances, dead letters, the
// 10am replay and --dedup-replay, memory, metrics and throughput.
package connector
