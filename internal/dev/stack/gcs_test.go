package stack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"

	"cloud.google.com/go/storage"
	"google.golang.org/api/googleapi"
)

// startGCS starts a fake-gcs-server with opts and returns it and a client
// of it, both closed when t ends.
func startGCS(t *testing.T, opts GCSOptions) (*GCS, *storage.Client) {
	t.Helper()
	g, err := StartGCS(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Close)
	c, err := g.Client(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return g, c
}

// TestGCSWriteOnce checks what the function relies on: a write with
// DoesNotExist fails with 412 when the object is already there, and the
// first object is kept.
func TestGCSWriteOnce(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts GCSOptions
	}{
		{"memory", GCSOptions{Buckets: []string{"alerts"}}},
		{"filesystem", GCSOptions{Buckets: []string{"alerts"}, Dir: t.TempDir()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			_, c := startGCS(t, tc.opts)
			obj := c.Bucket("alerts").Object("ztf_20240715_programid1_1.avro")
			for i, want := range []int{0, http.StatusPreconditionFailed} {
				w := obj.If(storage.Conditions{DoesNotExist: true}).NewWriter(ctx)
				fmt.Fprintf(w, "write %d", i)
				err := w.Close()
				var gerr *googleapi.Error
				switch {
				case want == 0 && err != nil:
					t.Fatalf("first write: %v", err)
				case want != 0 && (!errors.As(err, &gerr) || gerr.Code != want):
					t.Fatalf("second write: err = %v, want HTTP %d", err, want)
				}
			}
			r, err := obj.NewReader(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			b := make([]byte, 100)
			n, _ := r.Read(b)
			if got := string(b[:n]); got != "write 0" {
				t.Errorf("object holds %q, want the first write", got)
			}
		})
	}
}

// TestGCSCommandLine counts a night's objects with gcloud storage and
// gsutil, configured only by Env, as the README shows.
func TestGCSCommandLine(t *testing.T) {
	ctx := context.Background()
	g, c := startGCS(t, GCSOptions{Buckets: []string{"ztf-alerts"}})
	for i := range 7 {
		for _, night := range []string{"20240715", "20240716"} {
			w := c.Bucket("ztf-alerts").Object(fmt.Sprintf("ztf_%s_programid1_%d.avro", night, 1000+i)).NewWriter(ctx)
			w.Write([]byte("avro"))
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
		}
	}
	env := append(os.Environ(), append(g.Env(), CLIEnv(DefaultProject)...)...)
	for _, tc := range []struct {
		name string
		cmd  []string
	}{
		{"gcloud storage", []string{"gcloud", "storage", "ls", "gs://ztf-alerts/ztf_20240715_programid1_*.avro"}},
		{"gsutil", []string{"gsutil", "ls", "gs://ztf-alerts/ztf_20240715_programid1_*.avro"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.CommandContext(ctx, tc.cmd[0], tc.cmd[1:]...)
			cmd.Env = env
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%s: %v\n%s", strings.Join(tc.cmd, " "), err, out)
			}
			lines := strings.Fields(string(out))
			if len(lines) != 7 {
				t.Fatalf("%s listed %d objects, want 7:\n%s", strings.Join(tc.cmd, " "), len(lines), out)
			}
		})
	}
}
