package connector

import (
	"context"
	"errors"
	"strings"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"github.com/IBM/sarama"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ztfbridge/ztfbridge/internal/core/attr"
	"github.com/ztfbridge/ztfbridge/internal/core/message"
)

// handler is the sarama.ConsumerGroupHandler of every member. Sarama runs
// ConsumeClaim in its own goroutine for each partition the member is
// given, for the length of one session (until a rebalance or the end).
type handler struct{ c *Connector }

func (h handler) Setup(sess sarama.ConsumerGroupSession) error {
	h.c.log.Info("partitions assigned", "member", sess.MemberID(), "generation", sess.GenerationID(), "claims", sess.Claims())
	return nil
}

// Cleanup runs once every ConsumeClaim has returned, so every offset that
// will be marked is marked; sarama then commits them before it releases
// the partitions.
func (h handler) Cleanup(sarama.ConsumerGroupSession) error { return nil }

func (h handler) ConsumeClaim(sess sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	h.c.consumePartition(sess, claim)
	return nil
}

// consumePartition moves one partition's messages to Pub/Sub for one
// session. Two goroutines share the work:
//
//   - this one reads up to BatchSize messages that are ready, classifies
//     and publishes each (Publish does not wait for Pub/Sub; it blocks only
//     while the publisher's flow control is full), and hands the batch, in
//     offset order, to the acknowledger;
//   - the acknowledger waits for each message's result in offset order,
//     and marks the offset after a batch once all of the batch is
//     acknowledged (or, when it gives up inside a batch, the offset after
//     the batch's acknowledged prefix). Waiting in order is what makes the
//     marked offset the contiguous acknowledged watermark: results may
//     arrive in any order, but offset n+1 is only marked after offsets
//     ..n-1, n were acknowledged.
//
// When the session ends (SIGTERM, rebalance, new topic list) reading stops
// at once, and consumePartition returns when the acknowledger has waited
// for everything already published, or after DrainTimeout; what it could
// not see acknowledged stays unmarked and is read again by the next owner.
func (c *Connector) consumePartition(sess sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) {
	ctx := sess.Context()
	log := c.log.With("topic", claim.Topic(), "partition", claim.Partition())
	log.Debug("partition started", "offset", claim.InitialOffset(), "high_watermark", claim.HighWaterMarkOffset())

	// The acknowledger outlives the session by up to DrainTimeout.
	waitCtx, stopWaiting := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWaiting()
	batches := make(chan []*outgoing, c.queuedBatches())
	ackerDone := make(chan struct{})
	go func() {
		defer close(ackerDone)
		c.acknowledge(ctx, waitCtx, sess, claim, batches)
	}()

	// take holds m's bytes in the process-wide budget and publishes it.
	// With wait, it waits for room (the batch is empty: everything held
	// belongs to batches the acknowledgers have); else it reports false
	// when there is none, so that the batch goes to the acknowledger first.
	var batch []*outgoing
	take := func(m *sarama.ConsumerMessage, wait bool) bool {
		n := int64(len(m.Value))
		if wait {
			if c.budget.acquire(ctx, n) != nil {
				return false
			}
		} else if !c.budget.tryAcquire(n) {
			return false
		}
		batch = append(batch, c.send(ctx, m, n))
		return true
	}
	var pending *sarama.ConsumerMessage // read, not taken: no room in the budget

read:
	for {
		batch = nil
		m := pending
		if m == nil {
			select {
			case <-ctx.Done():
				break read
			case msg, ok := <-claim.Messages():
				if !ok {
					break read
				}
				m = msg
			}
		}
		if pending = nil; !take(m, true) {
			break read
		}
	fill:
		// Once the session is over nothing more is published, so that the
		// published messages are a prefix the acknowledger can mark.
		for len(batch) < c.cfg.BatchSize && ctx.Err() == nil {
			select {
			case m, ok := <-claim.Messages():
				if !ok {
					break fill
				}
				if !take(m, false) {
					pending = m
					break fill
				}
			default:
				break fill
			}
		}
		batches <- batch
	}
	close(batches)

	drain := time.AfterFunc(c.cfg.DrainTimeout, stopWaiting)
	defer drain.Stop()
	<-ackerDone
	if waitCtx.Err() != nil {
		log.Warn("drain timeout: unacknowledged messages will be read again", "drain_timeout", c.cfg.DrainTimeout.String())
	}
	log.Debug("partition released")
}

// queuedBatches is how many published batches a partition may have
// waiting for the acknowledger: enough that the publisher's flow control,
// not this queue, is what limits the messages in flight.
func (c *Connector) queuedBatches() int {
	return max(1, c.cfg.MaxOutstandingMessages/c.cfg.BatchSize)
}

// send classifies m, which holds held bytes of the budget, and publishes
// it to its topic.
func (c *Connector) send(ctx context.Context, m *sarama.ConsumerMessage, held int64) *outgoing {
	c.metrics.consumed.Inc()
	o := classify(m, c.decoder, c.cfg.MaxMessageBytes, c.replay)
	o.held = held
	c.publish(ctx, o)
	return o
}

func (c *Connector) publish(ctx context.Context, o *outgoing) {
	switch o.fate {
	case toAlerts:
		o.res = c.publisher(c.alerts, o).Publish(ctx, o.msg)
		if c.replay != nil {
			c.replay.sending(o.night, o.candid, o.res)
		}
	case toDeadLetter:
		o.res = c.publisher(c.dead, o).Publish(ctx, o.msg)
	case dropped:
		return
	}
	o.sent = time.Now()
}

// acknowledge waits, in offset order, for the result of every message
// handed over in batches, and marks the offset after each fully
// acknowledged batch. At the first message it gives up on (the session is
// over, so a failed message is left to the next owner instead of retried,
// or waitCtx is done: DrainTimeout) it marks the acknowledged prefix and
// stops waiting; it still takes every batch until batches is closed, to
// give their bytes back to the budget.
func (c *Connector) acknowledge(sessCtx, waitCtx context.Context, sess sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim, batches <-chan []*outgoing) {
	gaveUp := false
	for batch := range batches {
		for i, o := range batch {
			if gaveUp {
				c.budget.release(o)
				continue
			}
			if !c.await(sessCtx, waitCtx, o) {
				if i > 0 { // keep the acknowledged part of the batch
					sess.MarkOffset(claim.Topic(), claim.Partition(), o.offset, "")
				}
				gaveUp = true
				c.budget.release(o)
			}
		}
		if !gaveUp {
			sess.MarkOffset(claim.Topic(), claim.Partition(), batch[len(batch)-1].offset+1, "")
		}
	}
}

// await returns true once o is acknowledged (or dropped in favour of an
// acknowledged copy), publishing it again after each failure while the
// session lasts.
//
// A failure that retrying cannot fix (see refusedForGood) is not an
// outage: the message is sent again at once in a request of its own, so
// that the messages that shared its request are not held back; refused on
// its own too, an alert becomes a dead letter, and a dead letter is
// stripped to its Kafka coordinates and reason. Any other failure is an
// outage: the first retry is immediate (its failure may be old: the
// messages behind a failing one all failed during the same outage, and
// once Pub/Sub is back they should not each wait), further retries back
// off from 1 s to 1 min. A dead letter is never skipped: a dead-letter
// topic that cannot take it is waited for like the alert topic.
func (c *Connector) await(sessCtx, waitCtx context.Context, o *outgoing) bool {
	var backoff time.Duration
	for {
		res := o.res
		if o.fate == dropped {
			if o.original == nil {
				c.done(o)
				return true
			}
			res = o.original
		}
		_, err := res.Get(waitCtx)
		if err == nil {
			if o.fate != dropped {
				c.metrics.publishLatency.Observe(time.Since(o.sent).Seconds())
			}
			c.done(o)
			return true
		}
		if waitCtx.Err() != nil {
			return false
		}
		if o.fate == dropped {
			// The copy in flight failed: this one is published after all.
			o.fate, o.original = toAlerts, nil
			c.publish(sessCtx, o)
			continue
		}
		if c.replay != nil && o.fate == toAlerts {
			c.replay.failed(o.night, o.candid, o.res)
		}
		if sessCtx.Err() != nil {
			return false
		}
		c.metrics.failed.Inc()
		if refusedForGood(err) && c.refused(o, err) {
			c.publish(sessCtx, o)
			continue
		}
		c.limited.warn("publish-failed", "publish failed; retrying", "topic", o.topic, "partition", o.partition, "offset", o.offset,
			"err", err, "retry_in", backoff.String())
		select {
		case <-sessCtx.Done():
			return false
		case <-time.After(backoff):
		}
		backoff = min(max(2*backoff, time.Second), time.Minute)
		c.publish(sessCtx, o)
	}
}

// refused takes the next step for o, which Pub/Sub refused with an error
// retrying cannot fix: send it alone, then as a dead letter, then as a
// stripped dead letter. It returns false when o is already a stripped dead letter
// sent alone: then nothing is left to change and o is retried as in an
// outage.
func (c *Connector) refused(o *outgoing, err error) bool {
	log := []any{"topic", o.topic, "partition", o.partition, "offset", o.offset, "err", err}
	switch {
	case !o.alone:
		o.alone = true
		c.limited.warn("publish-refused", "Pub/Sub refused a publish request; sending its messages one by one", log...)
	case o.fate == toAlerts:
		o.refuse(message.Refuse(message.PublishRefused, "Pub/Sub refused the alert: %v", err))
	case !o.stripped:
		o.strip(message.Refuse(message.PublishRefused, "Pub/Sub refused the dead letter (%s): %v", o.reason, err))
	default:
		return false
	}
	return true
}

// refusedForGood reports the publish errors that say the message itself is
// wrong, so that sending it again as it is cannot succeed: the request was
// invalid, or the client could not encode it or would not send it.
func refusedForGood(err error) bool {
	if errors.Is(err, pubsub.ErrOversizedMessage) {
		return true
	}
	switch s, _ := status.FromError(err); s.Code() {
	case codes.InvalidArgument:
		return true
	case codes.Internal:
		return strings.Contains(s.Message(), "invalid UTF-8") || strings.Contains(s.Message(), "error while marshaling")
	}
	return false
}

// publisher returns the publisher o goes through: p, or for a message
// sent alone, p's twin that sends every message in a request of its own.
func (c *Connector) publisher(p *pubsub.Publisher, o *outgoing) *pubsub.Publisher {
	if !o.alone {
		return p
	}
	if p == c.alerts {
		return c.alertsAlone
	}
	return c.deadAlone
}

// done accounts for an acknowledged (or dropped) message.
func (c *Connector) done(o *outgoing) {
	switch o.fate {
	case toAlerts:
		c.metrics.published.Inc()
		if c.replay != nil {
			c.metrics.dedupCandids.Set(float64(c.replay.published(o.night, o.candid, o.res)))
		}
	case toDeadLetter:
		c.metrics.deadLettered.WithLabelValues(string(o.reason)).Inc()
		c.limited.warn("dead-letter-"+string(o.reason), "message sent to the dead-letter topic",
			"topic", o.topic, "partition", o.partition, "offset", o.offset, "reason", o.msg.Attributes[attr.Error])
	case dropped:
		c.metrics.replayDropped.Inc()
	}
	if c.counts != nil {
		c.counts.add(o.topic, o.fate)
	}
	o.msg = nil // let the bytes go
	c.budget.release(o)
}
