package functions_test

import (
	"encoding/json"
	"strings"
	"testing"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/ztfbridge/ztfbridge/functions"
	"github.com/ztfbridge/ztfbridge/internal/dev/stack/stacktest"
)

// TestFromEnv checks the deployed function's start: a bad configuration
// fails the invocation (the message is redelivered) and is read again on
// the next one; once started, the one Archiver serves every invocation.
func TestFromEnv(t *testing.T) {
	g := stacktest.GCS(t, bucket)
	t.Setenv("STORAGE_EMULATOR_HOST", g.URL())
	t.Setenv("ZTFBRIDGE_BUCKET", "")
	t.Setenv("ZTFBRIDGE_LOG_LEVEL", "error")
	fn := functions.FromEnv()

	msgs, _ := synthetic(t, 3)
	event := func(i int) cloudevents.Event {
		e := cloudevents.NewEvent()
		e.SetID(msgs[i].ID)
		e.SetType("google.cloud.pubsub.topic.v1.messagePublished")
		e.SetSource("//pubsub.googleapis.com/projects/p/topics/ztf-alerts")
		data, err := json.Marshal(map[string]any{"message": map[string]any{"data": msgs[i].Data, "attributes": msgs[i].Attributes}})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.SetData(cloudevents.ApplicationJSON, data); err != nil {
			t.Fatal(err)
		}
		return e
	}
	if err := fn(t.Context(), event(0)); err == nil || !strings.Contains(err.Error(), "ZTFBRIDGE_BUCKET") {
		t.Fatalf("invocation without a bucket = %v, want an error naming ZTFBRIDGE_BUCKET", err)
	}
	t.Setenv("ZTFBRIDGE_BUCKET", bucket)
	for i := range msgs {
		if err := fn(t.Context(), event(i)); err != nil {
			t.Fatalf("invocation %d: %v", i, err)
		}
	}
	t.Setenv("ZTFBRIDGE_BUCKET", "elsewhere") // read once: the running Archiver keeps its bucket
	if err := fn(t.Context(), event(0)); err != nil {
		t.Fatal(err)
	}
	c, err := g.Client(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if n := len(objects(t, c, "")); n != len(msgs) {
		t.Errorf("%d objects, want %d", n, len(msgs))
	}
}
