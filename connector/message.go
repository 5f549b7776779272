package connector

import (
	"fmt"
	"strconv"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"github.com/IBM/sarama"

	"github.com/ztfbridge/ztfbridge/internal/alert"
	"github.com/ztfbridge/ztfbridge/internal/attr"
	"github.com/ztfbridge/ztfbridge/internal/night"
)

// fate is what becomes of one Kafka message.
type fate int

const (
	toAlerts     fate = iota // published unchanged to the alert topic
	toDeadLetter             // published to the dead-letter topic with attr.Error
	dropped                  // a replayed candid already published (--dedup-replay)
)

// maxErrorAttr is Pub/Sub's limit on an attribute value, in bytes.
const maxErrorAttr = 1024

// outgoing is one Kafka message on its way to Pub/Sub. It keeps the
// message until Pub/Sub acknowledges it, so that a failed publish can be
// sent again.
type outgoing struct {
	topic     string // Kafka coordinates
	partition int32
	offset    int64
	fate      fate
	reason    string // dead-letter reason label (Reason*)
	candid    int64  // for --dedup-replay
	night     string // YYYYMMDD, for --dedup-replay

	msg      *pubsub.Message
	res      *pubsub.PublishResult // nil until sent; stays nil when dropped
	sent     time.Time
	original *pubsub.PublishResult // when dropped: the copy in flight, if not yet acknowledged
}

// classify reads the attributes of m from its packet and decides its fate.
// The data of a message bound for the alert topic is m.Value itself.
func classify(m *sarama.ConsumerMessage, dec *alert.Decoder, maxBytes int, replay *replaySet) *outgoing {
	o := &outgoing{topic: m.Topic, partition: m.Partition, offset: m.Offset, msg: &pubsub.Message{Attributes: make(map[string]string, 9)}}
	attr.Kafka{Topic: m.Topic, Partition: m.Partition, Offset: m.Offset, Timestamp: m.Timestamp}.Set(o.msg.Attributes)
	dead := func(reason string, err error) *outgoing {
		o.fate, o.reason = toDeadLetter, reason
		msg := reason + ": " + err.Error()
		if len(msg) > maxErrorAttr {
			msg = msg[:maxErrorAttr]
		}
		o.msg.Attributes[attr.Error] = msg
		return o
	}

	if len(m.Value) > maxBytes {
		// Pub/Sub would refuse the data; the coordinates say where it is.
		return dead(ReasonTooLarge, fmt.Errorf("message of %d bytes is above --max-message-bytes %d", len(m.Value), maxBytes))
	}
	o.msg.Data = m.Value
	alerts, err := dec.Summarize(m.Value)
	if err != nil {
		return dead(ReasonUndecodable, err)
	}
	if len(alerts) != 1 {
		return dead(ReasonNotOneAlert, fmt.Errorf("container holds %d alerts, want 1", len(alerts)))
	}
	a := alerts[0]
	o.candid = a.Candid
	o.msg.Attributes[attr.Candid] = strconv.FormatInt(a.Candid, 10)
	o.msg.Attributes[attr.ObjectID] = a.ObjectID
	o.msg.Attributes[attr.SchemaVsn] = a.SchemaVsn
	if !a.Night.IsZero() { // pre-survey simulations have no night
		o.night = a.Night.Format(night.Layout)
		o.msg.Attributes[attr.Night] = o.night
	}
	if replay != nil {
		if dup, original := replay.lookup(o.night, o.candid); dup {
			o.fate, o.original = dropped, original
		}
	}
	return o
}
