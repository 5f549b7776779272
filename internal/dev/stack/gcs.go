package stack

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"cloud.google.com/go/storage"
	"github.com/fsouza/fake-gcs-server/fakestorage"
	"google.golang.org/api/option"
)

// GCSOptions configures StartGCS. The zero value serves an in-memory
// store over HTTP and HTTPS on free loopback ports.
type GCSOptions struct {
	// Port is the HTTP port (0 picks a free one). Go clients, gcloud storage
	// and the ztfbridge commands use it.
	Port int
	// HTTPSPort is the HTTPS port, with a self-signed certificate, for
	// gsutil, whose JSON API client only speaks HTTPS (0 picks a free one).
	HTTPSPort int
	// Dir keeps objects in this folder instead of memory, so that they
	// survive a restart. fake-gcs-server lays it out as Dir/BUCKET/OBJECT.
	Dir string
	// Buckets are created before StartGCS returns.
	Buckets []string
}

// GCS is an in-process fake Google Cloud Storage (fake-gcs-server) serving
// the JSON API on loopback, over HTTP and over HTTPS from one store.
type GCS struct {
	fake     *fakestorage.Server
	tls      *httptest.Server
	botoPath string
	closed   bool
}

// StartGCS starts fake-gcs-server. The caller must Close it.
func StartGCS(ctx context.Context, opts GCSOptions) (*GCS, error) {
	fake, err := fakestorage.NewServerWithOptions(fakestorage.Options{
		Scheme:      "http",
		Host:        "127.0.0.1",
		Port:        uint16(opts.Port),
		StorageRoot: opts.Dir,
		// Without it, downloads through the public-host routes would ask
		// for storage.googleapis.com.
		PublicHost: "127.0.0.1",
	})
	if err != nil {
		return nil, fmt.Errorf("start fake-gcs-server on port %d: %w", opts.Port, err)
	}
	g := &GCS{fake: fake}
	// A second listener serves the same handler, hence the same store, over
	// TLS: fakestorage serves one scheme per server.
	g.tls = httptest.NewUnstartedServer(fake.HTTPHandler())
	if opts.HTTPSPort != 0 {
		l, err := net.Listen("tcp", loopback(opts.HTTPSPort))
		if err != nil {
			g.Close()
			return nil, fmt.Errorf("start fake-gcs-server https: %w", err)
		}
		g.tls.Listener.Close()
		g.tls.Listener = l
	}
	g.tls.StartTLS()
	for _, b := range opts.Buckets {
		fake.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: b})
	}
	return g, nil
}

// URL returns the HTTP root, e.g. "http://127.0.0.1:4443": the value of
// STORAGE_EMULATOR_HOST.
func (g *GCS) URL() string { return g.fake.URL() }

// Endpoint returns the JSON API endpoint, URL()+"/storage/v1/", for
// option.WithEndpoint and CLOUDSDK_API_ENDPOINT_OVERRIDES_STORAGE.
func (g *GCS) Endpoint() string { return g.URL() + "/storage/v1/" }

// HTTPSURL returns the HTTPS root; its certificate is self-signed.
func (g *GCS) HTTPSURL() string { return g.tls.URL }

// ClientOptions returns the options that point a storage client at the
// server without credentials. Reads use the JSON API, which the fake serves
// at the same endpoint.
func (g *GCS) ClientOptions() []option.ClientOption {
	return []option.ClientOption{option.WithEndpoint(g.Endpoint()), option.WithoutAuthentication()}
}

// Client returns a new storage client for the server. The caller closes it.
func (g *GCS) Client(ctx context.Context) (*storage.Client, error) {
	c, err := storage.NewClient(ctx, append(g.ClientOptions(), storage.WithJSONReads())...)
	if err != nil {
		return nil, fmt.Errorf("storage client for %s: %w", g.URL(), err)
	}
	return c, nil
}

// CreateBucket creates bucket; creating one that exists does nothing.
func (g *GCS) CreateBucket(bucket string) {
	g.fake.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: bucket})
}

// Buckets returns the names of the buckets, sorted.
func (g *GCS) Buckets() []string {
	buckets, err := g.fake.Backend().ListBuckets()
	if err != nil {
		return nil
	}
	names := make([]string, 0, len(buckets))
	for _, b := range buckets {
		names = append(names, b.Name)
	}
	sort.Strings(names)
	return names
}

// Env returns the variables that point the Go client library
// (STORAGE_EMULATOR_HOST), gcloud storage
// (CLOUDSDK_API_ENDPOINT_OVERRIDES_STORAGE) and gsutil (BOTO_CONFIG, a file
// written on first call) at the server. gcloud also needs CLIEnv.
func (g *GCS) Env() []string {
	env := []string{
		"STORAGE_EMULATOR_HOST=" + g.URL(),
		"CLOUDSDK_API_ENDPOINT_OVERRIDES_STORAGE=" + g.Endpoint(),
	}
	if boto, err := g.BotoConfig(); err == nil {
		env = append(env, "BOTO_CONFIG="+boto)
	}
	return env
}

// BotoConfig writes, once, a boto configuration file that points gsutil's
// JSON API at the HTTPS listener, and returns its path. The file lives in
// a temporary folder that Close removes.
func (g *GCS) BotoConfig() (string, error) {
	if g.botoPath != "" {
		return g.botoPath, nil
	}
	host, port, err := net.SplitHostPort(strings.TrimPrefix(g.HTTPSURL(), "https://"))
	if err != nil {
		return "", fmt.Errorf("boto config: %w", err)
	}
	dir, err := os.MkdirTemp("", "ztfbridge-gsutil-")
	if err != nil {
		return "", fmt.Errorf("boto config: %w", err)
	}
	path := filepath.Join(dir, "boto.cfg")
	cfg := fmt.Sprintf(`[Credentials]
gs_json_host = %s
gs_json_port = %s
gs_host = %s
gs_port = %s

[Boto]
https_validate_certificates = False

[GSUtil]
prefer_api = json
default_project_id = %s
`, host, port, host, port, DefaultProject)
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		return "", fmt.Errorf("boto config: %w", err)
	}
	g.botoPath = path
	return path, nil
}

// HTTPClient returns a client that trusts the HTTPS listener's certificate.
func (g *GCS) HTTPClient() *http.Client { return g.tls.Client() }

// Close stops both listeners and removes the boto file. Objects in a Dir
// stay. Calling it again is harmless.
func (g *GCS) Close() {
	if g.closed {
		return
	}
	g.closed = true
	g.tls.Close()
	g.fake.Stop()
	if g.botoPath != "" {
		_ = os.RemoveAll(filepath.Dir(g.botoPath))
		g.botoPath = ""
	}
}
