package functions

import (
	"context"
	"fmt"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/ztfbridge/ztfbridge/internal/message"
)

// messagePublished is the data of the CloudEvent
// google.cloud.pubsub.topic.v1.messagePublished, which Eventarc delivers
// for a Pub/Sub trigger and the functions framework builds from a Pub/Sub
// push request.
type messagePublished struct {
	Message struct {
		Data        []byte            `json:"data"` // base64 in JSON
		Attributes  map[string]string `json:"attributes"`
		MessageID   string            `json:"messageId"`
		PublishTime time.Time         `json:"publishTime"`
	} `json:"message"`
	Subscription string `json:"subscription"`
}

// ReceiveEvent is the Cloud Function: it stores the Pub/Sub message carried
// by e (see Store) and returns nil to acknowledge it, or an error so that
// Pub/Sub delivers it again. An event whose data is not a Pub/Sub message
// is quarantined with the reason, like any message that is not an alert.
func (a *Archiver) ReceiveEvent(ctx context.Context, e cloudevents.Event) error {
	m, err := messageOf(e)
	if err != nil {
		m = Message{ID: e.ID(), Data: e.Data(), PublishTime: e.Time()}
		_, err = a.quarantine(ctx, m, &message.Refusal{Reason: message.Undecodable, Detail: err.Error()})
		return err
	}
	_, err = a.Store(ctx, m)
	return err
}

// messageOf reads the Pub/Sub message out of a messagePublished event.
func messageOf(e cloudevents.Event) (Message, error) {
	d, err := parseMessagePublished(e.Data())
	if err != nil {
		return Message{}, fmt.Errorf("event %s of type %s does not carry a Pub/Sub message: %w", e.ID(), e.Type(), err)
	}
	id := d.Message.MessageID
	if id == "" {
		id = e.ID() // Eventarc sets the event id to the message id
	}
	return Message{ID: id, Data: d.Message.Data, Attributes: d.Message.Attributes, PublishTime: d.Message.PublishTime}, nil
}
