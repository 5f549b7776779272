package functions_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ztfbridge/ztfbridge/functions"
)

// request returns a POST of body as sender sends it: "push" (a Pub/Sub
// push subscription, on the path of its endpoint) or "eventarc" (a
// binary-mode messagePublished CloudEvent with id ceID).
func request(t testing.TB, sender, ceID string, body []byte) *http.Request {
	t.Helper()
	switch sender {
	case "push":
		r := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/projects/p/topics/ztf-alerts", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		return r
	case "eventarc":
		r := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Ce-Id", ceID)
		r.Header.Set("Ce-Specversion", "1.0")
		r.Header.Set("Ce-Type", "google.cloud.pubsub.topic.v1.messagePublished")
		r.Header.Set("Ce-Source", "//pubsub.googleapis.com/projects/p/topics/ztf-alerts")
		return r
	}
	t.Fatalf("no sender %q", sender)
	return nil
}

// TestServeHTTP feeds the requests that deliver a Pub/Sub message, as a
// push subscription and Eventarc send them, and bodies that carry no
// Pub/Sub message, which are quarantined with their reason.
func TestServeHTTP(t *testing.T) {
	msgs, _ := synthetic(t, 1)
	published, err := json.Marshal(map[string]any{
		"message":      map[string]any{"data": msgs[0].Data, "attributes": msgs[0].Attributes, "messageId": "42"},
		"subscription": "projects/p/subscriptions/eventarc-sub",
	})
	if err != nil {
		t.Fatal(err)
	}
	withoutID, err := json.Marshal(map[string]any{"message": map[string]any{"data": msgs[0].Data, "attributes": msgs[0].Attributes}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		sender   string
		data     []byte
		wantObj  string // prefix of the one object written
		wantMeta string // pubsub.messageId or error metadata substring
		metaKey  string
	}{
		{"Pub/Sub message", "eventarc", published, "ztf_20240101_programid1_", "42", "pubsub.messageId"},
		{"Pub/Sub message, id from Ce-Id", "eventarc", withoutID, "ztf_20240101_programid1_", "7", "pubsub.messageId"},
		{"push request", "push", published, "ztf_20240101_programid1_", "42", "pubsub.messageId"},
		{"not a Pub/Sub message", "eventarc", []byte("[1, 2, 3]"), "quarantine/no-topic/", "does not carry a Pub/Sub message", "error"},
		{"push of no Pub/Sub message", "push", []byte(`{"message":`), "quarantine/no-topic/", "does not carry a Pub/Sub message", "error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, c, _ := newArchiver(t, functions.DefaultConfig())
			w := httptest.NewRecorder()
			a.ServeHTTP(w, request(t, tt.sender, "7", tt.data))
			if w.Code != http.StatusOK {
				t.Fatalf("ServeHTTP answered %d %s, want 200 (acknowledge)", w.Code, w.Body)
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

// TestServeHTTPRefuses checks what neither Pub/Sub push nor Eventarc
// sends is answered with an error (redelivered, then dead-lettered) and
// writes nothing.
func TestServeHTTPRefuses(t *testing.T) {
	structured := request(t, "eventarc", "1", []byte(`{"specversion":"1.0","id":"1","data":{}}`))
	structured.Header.Set("Content-Type", "application/cloudevents+json; charset=utf-8")
	tooLong := request(t, "push", "", nil)
	tooLong.ContentLength = 17 << 20
	tests := []struct {
		name string
		r    *http.Request
		code int
	}{
		{"GET", httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil), http.StatusMethodNotAllowed},
		{"structured CloudEvent", structured, http.StatusUnsupportedMediaType},
		{"body beyond 16 MB", tooLong, http.StatusRequestEntityTooLarge},
	}
	a, c, _ := newArchiver(t, functions.DefaultConfig())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			a.ServeHTTP(w, tt.r)
			if w.Code != tt.code {
				t.Errorf("ServeHTTP answered %d %s, want %d", w.Code, w.Body, tt.code)
			}
		})
	}
	if n := len(objects(t, c, "")); n != 0 {
		t.Errorf("%d objects written, want none", n)
	}
}
