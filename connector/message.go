package connector

import (
	"time"

	"cloud.google.com/go/pubsub/v2"
	"github.com/IBM/sarama"

	"github.com/ztfbridge/ztfbridge/internal/core/alert"
	"github.com/ztfbridge/ztfbridge/internal/core/attr"
	"github.com/ztfbridge/ztfbridge/internal/core/message"
	"github.com/ztfbridge/ztfbridge/internal/core/night"
)

// fate is what becomes of one Kafka message.
type fate int

const (
	toAlerts     fate = iota // published unchanged to the alert topic
	toDeadLetter             // published to the dead-letter topic with its refusal
	dropped                  // a replayed candid already published (--dedup-replay)
)

// outgoing is one Kafka message on its way to Pub/Sub. It keeps the
// message until Pub/Sub acknowledges it, so that a failed publish can be
// sent again.
type outgoing struct {
	topic     string // Kafka coordinates
	partition int32
	offset    int64
	timestamp time.Time
	fate      fate
	reason    message.Reason // why it is a dead letter
	candid    int64          // for --dedup-replay
	night     night.Night    // for --dedup-replay
	held      int64          // bytes of the budget it holds; 0 once released

	msg      *pubsub.Message
	res      *pubsub.PublishResult // nil until sent; stays nil when dropped
	sent     time.Time
	alone    bool                  // sent in a request of its own (after a permanent failure)
	stripped bool                  // a dead letter without data (see strip)
	original *pubsub.PublishResult // when dropped: the copy in flight, if not yet acknowledged
}

// classify reads the attributes of m from its packet and decides its fate
// by the message contract (internal/core/message). The data of a message bound
// for the alert topic is m.Value itself.
func classify(m *sarama.ConsumerMessage, dec *alert.Decoder, maxBytes int, replay *replaySet) *outgoing {
	// An alert has 8 attributes: a map made for 8 is one small group, one
	// for more a table (twice the memory and allocations).
	o := &outgoing{topic: m.Topic, partition: m.Partition, offset: m.Offset, timestamp: m.Timestamp,
		msg: &pubsub.Message{Attributes: make(map[string]string, 8)}}
	if len(m.Value) > maxBytes {
		// Pub/Sub would refuse the data; the coordinates say where it is.
		o.strip(message.Refuse(message.TooLarge, "message of %d bytes is above --max-message-bytes %d", len(m.Value), maxBytes))
		return o
	}
	o.kafka().Set(o.msg.Attributes)
	o.msg.Data = m.Value
	a, refusal := message.Check(dec, m.Value)
	if refusal != nil {
		o.refuse(refusal)
		return o
	}
	a.SetAttributes(o.msg.Attributes)
	o.candid = a.Candid
	o.night = a.Night
	if replay != nil {
		if dup, original := replay.lookup(o.night, o.candid); dup {
			o.fate, o.original = dropped, original
		}
	}
	return o
}

func (o *outgoing) kafka() attr.Kafka {
	return attr.Kafka{Topic: o.topic, Partition: o.partition, Offset: o.offset, Timestamp: o.timestamp}
}

// refuse makes o a dead letter for r, keeping its data.
func (o *outgoing) refuse(r *message.Refusal) {
	o.fate, o.reason = toDeadLetter, r.Reason
	r.SetAttributes(o.msg.Attributes)
}

// strip makes o a dead letter for r that carries what any dead letter can:
// its Kafka coordinates and its refusal, no data.
func (o *outgoing) strip(r *message.Refusal) {
	o.msg = &pubsub.Message{Attributes: make(map[string]string, 6)}
	o.kafka().Set(o.msg.Attributes)
	o.refuse(r)
	o.stripped = true
}
