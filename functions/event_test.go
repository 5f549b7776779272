package functions_test

import (
	"encoding/json"
	"strings"
	"testing"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/ztfbridge/ztfbridge/functions"
)

// TestReceiveEvent feeds CloudEvents as Eventarc delivers them, and one
// that carries no Pub/Sub message, which is quarantined with its reason.
func TestReceiveEvent(t *testing.T) {
	msgs, _ := synthetic(t, 1)
	published, err := json.Marshal(map[string]any{
		"message":      map[string]any{"data": msgs[0].Data, "attributes": msgs[0].Attributes, "messageId": "42"},
		"subscription": "projects/p/subscriptions/eventarc-sub",
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		data     []byte
		wantObj  string // prefix of the one object written
		wantMeta string // pubsub.messageId or error metadata substring
		metaKey  string
	}{
		{"Pub/Sub message", published, "ztf_20240101_programid1_", "42", "pubsub.messageId"},
		{"not a Pub/Sub message", []byte("[1, 2, 3]"), "quarantine/no-topic/", "does not carry a Pub/Sub message", "error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, c, _ := newArchiver(t, functions.DefaultConfig())
			e := cloudevents.NewEvent()
			e.SetID("42")
			e.SetType("google.cloud.pubsub.topic.v1.messagePublished")
			e.SetSource("//pubsub.googleapis.com/projects/p/topics/ztf-alerts")
			if err := e.SetData(cloudevents.ApplicationJSON, tt.data); err != nil {
				t.Fatal(err)
			}
			if err := a.ReceiveEvent(t.Context(), e); err != nil {
				t.Fatalf("ReceiveEvent = %v, want nil (acknowledge)", err)
			}
			objs := objects(t, c, "")
			if len(objs) != 1 {
				t.Fatalf("%d objects, want 1", len(objs))
			}
			for name, o := range objs {
				if !strings.HasPrefix(name, tt.wantObj) {
					t.Errorf("object %s, want it under %s", name, tt.wantObj)
				}
				if !strings.Contains(o.Metadata[tt.metaKey], tt.wantMeta) {
					t.Errorf("metadata %s=%q, want %q in it", tt.metaKey, o.Metadata[tt.metaKey], tt.wantMeta)
				}
			}
		})
	}
}
