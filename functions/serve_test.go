package functions_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

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
	// invoke delivers message i as Eventarc does and returns the error
	// answered, nil for 200.
	invoke := func(i int) error {
		data, err := json.Marshal(map[string]any{"message": map[string]any{"data": msgs[i].Data, "attributes": msgs[i].Attributes}})
		if err != nil {
			t.Fatal(err)
		}
		w := httptest.NewRecorder()
		fn.ServeHTTP(w, request(t, "eventarc", msgs[i].ID, data))
		if w.Code != http.StatusOK {
			return fmt.Errorf("%d %s", w.Code, w.Body)
		}
		return nil
	}
	if err := invoke(0); err == nil || !strings.Contains(err.Error(), "ZTFBRIDGE_BUCKET") {
		t.Fatalf("invocation without a bucket = %v, want an error naming ZTFBRIDGE_BUCKET", err)
	}
	t.Setenv("ZTFBRIDGE_BUCKET", bucket)
	for i := range msgs {
		if err := invoke(i); err != nil {
			t.Fatalf("invocation %d: %v", i, err)
		}
	}
	t.Setenv("ZTFBRIDGE_BUCKET", "elsewhere") // read once: the running Archiver keeps its bucket
	if err := invoke(0); err != nil {
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
