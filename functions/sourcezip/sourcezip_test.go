package sourcezip_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"go/parser"
	"go/token"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/api/iterator"

	"github.com/ztfbridge/ztfbridge/functions"
	"github.com/ztfbridge/ztfbridge/functions/sourcezip"
	"github.com/ztfbridge/ztfbridge/internal/core/night"
	"github.com/ztfbridge/ztfbridge/internal/dev/stack/stacktest"
	"github.com/ztfbridge/ztfbridge/internal/dev/synth"
)

// fnSourceDir is where the Go buildpack moves the uploaded source before
// building it.
const fnSourceDir = "serverless_function_source_code"

// buildpackMain is the main package the Go buildpack generates for a
// function that registers itself with the framework's functions package
// (its "declarative" template): import the function package for its init,
// then start the framework on $PORT.
const buildpackMain = `package main

import (
	"log"
	"net/http"
	"os"

	_ "{{.Package}}"

	"github.com/GoogleCloudPlatform/functions-framework-go/funcframework"
)

func main() {
	http.HandleFunc("/robots.txt", http.NotFound)
	http.HandleFunc("/favicon.ico", http.NotFound)
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	if err := funcframework.Start(port); err != nil {
		log.Fatalf("Function failed to start: %v\n", err)
	}
}
`

// TestBuildpackBuildsArchive builds the archive, unpacks it and builds it
// the way the Cloud Functions Go buildpack does, without network: the
// module cache must hold every dependency go.sum names.
//
// The binary then serves the function as Cloud Run would start it (PORT,
// FUNCTION_TARGET) against fake-gcs-server: a Pub/Sub push request and a
// CloudEvent in Eventarc's binary mode each store their alert, a corrupt
// packet is quarantined, and all three are acknowledged.
func TestBuildpackBuildsArchive(t *testing.T) {
	bin := buildFunctionBinary(t)
	g := stacktest.GCS(t, "alerts")
	addr := stacktest.FreeAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "PORT="+port, "FUNCTION_TARGET="+functions.EntryPoint,
		"ZTFBRIDGE_BUCKET=alerts", "STORAGE_EMULATOR_HOST="+g.URL())
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("function output:\n%s", logs.String())
		}
	}()
	url := "http://" + addr
	stacktest.WaitListening(t, 30*time.Second, addr)

	gen, err := synth.New(synth.Config{Night: night.Of(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)), Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	p1, _ := gen.Next()
	p2, _ := gen.Next()
	attrs := map[string]string{"kafka.topic": "ztf_20240101_programid1"}
	push := func(data []byte) *http.Request {
		body, _ := json.Marshal(map[string]any{
			"subscription": "projects/p/subscriptions/s",
			"message":      map[string]any{"data": data, "attributes": attrs, "messageId": "1", "publishTime": time.Now()},
		})
		r, _ := http.NewRequest(http.MethodPost, url+"/projects/p/topics/ztf-alerts", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		return r
	}
	eventarc := func(data []byte) *http.Request {
		body, _ := json.Marshal(map[string]any{"message": map[string]any{"data": data, "attributes": attrs, "messageId": "2"}})
		r, _ := http.NewRequest(http.MethodPost, url+"/", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Ce-Id", "2")
		r.Header.Set("Ce-Specversion", "1.0")
		r.Header.Set("Ce-Type", "google.cloud.pubsub.topic.v1.messagePublished")
		r.Header.Set("Ce-Source", "//pubsub.googleapis.com/projects/p/topics/ztf-alerts")
		return r
	}
	for _, r := range []*http.Request{push(p1.Data), eventarc(p2.Data), push([]byte("Obj\x01 truncated"))} {
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("POST %s: %s %s; want 200 (acknowledge)", r.URL.Path, resp.Status, msg)
		}
	}
	client, err := g.Client(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	var names []string
	it := client.Bucket("alerts").Objects(t.Context(), nil)
	for {
		o, err := it.Next()
		if errors.Is(err, iterator.Done) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, o.Name)
	}
	want := []string{
		night.ObjectName("ztf_20240101_programid1", p1.Candid),
		night.ObjectName("ztf_20240101_programid1", p2.Candid),
	}
	// Listed in name order: quarantine/ sorts before ztf_.
	if len(names) != 3 || !strings.HasPrefix(names[0], "quarantine/") || !slices.Contains(names, want[0]) || !slices.Contains(names, want[1]) {
		t.Errorf("bucket holds %v, want %v and one quarantined object", names, want)
	}
}

// buildFunctionBinary builds the archive into a temporary folder, compiles
// it as the buildpack would and returns the binary.
func buildFunctionBinary(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	zipPath := filepath.Join(dir, "function-source.zip")
	if err := sourcezip.Build(ctx, sourcezip.Options{Out: zipPath}); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(dir, "workspace", fnSourceDir)
	files := unzip(t, zipPath, src)

	// What the archive must hold.
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			t.Errorf("archive holds test file %s", f)
		}
	}
	gomod, err := os.ReadFile(filepath.Join(src, "go.mod"))
	if err != nil {
		t.Fatalf("archive has no go.mod at its root: %v", err)
	}
	if err := sourcezip.CheckGoVersion(gomod, functions.Runtime); err != nil {
		t.Error(err)
	}

	// The buildpack reads the root package's name and imports to pick its
	// main template, and "go list -m" for the package path.
	pkgName, declarative := rootPackage(t, src)
	if !declarative {
		t.Fatalf("root package %s does not import the framework's functions package; the buildpack would call %s.%s directly", pkgName, pkgName, functions.EntryPoint)
	}
	modPath := strings.TrimSpace(string(run(t, src, nil, "go", "list", "-m")))
	if first, _, _ := strings.Cut(modPath, "/"); !strings.Contains(first, ".") {
		t.Fatalf("module path %q: the buildpack wants a dot in its first element", modPath)
	}
	appDir := filepath.Join(src, "functions.local", "app")
	if err := os.MkdirAll(appDir, 0o755); err != nil {
		t.Fatal(err)
	}
	main := strings.ReplaceAll(buildpackMain, "{{.Package}}", modPath)
	if err := os.WriteFile(filepath.Join(appDir, "main.go"), []byte(main), 0o644); err != nil {
		t.Fatal(err)
	}
	offline := []string{"GOPROXY=off", "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local", "GOWORK=off"}
	run(t, src, offline, "go", "mod", "tidy")
	bin := filepath.Join(dir, "function")
	run(t, src, offline, "go", "build", "-o", bin, "./functions.local/app")
	return bin
}

// TestBuildIsReproducible checks that the same sources give the same bytes,
// so that terraform uploads a new archive only when something changed.
func TestBuildIsReproducible(t *testing.T) {
	dir := t.TempDir()
	var zips [2][]byte
	for i := range zips {
		out := filepath.Join(dir, strconv.Itoa(i), "function-source.zip")
		if err := sourcezip.Build(context.Background(), sourcezip.Options{Out: out}); err != nil {
			t.Fatal(err)
		}
		var err error
		if zips[i], err = os.ReadFile(out); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(zips[0], zips[1]) {
		t.Error("two builds of the same sources differ")
	}
}

func TestCheckGoVersion(t *testing.T) {
	tests := []struct {
		goLine  string
		runtime string
		ok      bool
	}{
		{"1.26.0", "go126", true},
		{"1.26", "go126", true},
		{"1.25.3", "go126", true},
		{"1.26.0", "go125", false},
		{"1.27.0", "go126", false},
		{"1.26.0", "nodejs22", false},
	}
	for _, tt := range tests {
		gomod := []byte("module example.com/m\n\ngo " + tt.goLine + "\n")
		err := sourcezip.CheckGoVersion(gomod, tt.runtime)
		if (err == nil) != tt.ok {
			t.Errorf("CheckGoVersion(go %s, %s) = %v, want ok=%v", tt.goLine, tt.runtime, err, tt.ok)
		}
	}
}

// unzip extracts the archive into dir and returns the names it held.
func unzip(t *testing.T, zipPath, dir string) []string {
	t.Helper()
	r, err := zip.OpenReader(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var names []string
	for _, f := range r.File {
		names = append(names, f.Name)
		dst := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, data, f.Mode()); err != nil {
			t.Fatal(err)
		}
	}
	return names
}

// rootPackage returns the name of the package at dir and whether it
// imports the framework's functions package.
func rootPackage(t *testing.T, dir string) (name string, declarative bool) {
	t.Helper()
	pkgs, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil || len(pkgs) == 0 {
		t.Fatalf("no Go files at the archive root (%v)", err)
	}
	for _, p := range pkgs {
		f, err := parser.ParseFile(token.NewFileSet(), p, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		name = f.Name.Name
		for _, imp := range f.Imports {
			if imp.Path.Value == strconv.Quote("github.com/GoogleCloudPlatform/functions-framework-go/functions") {
				declarative = true
			}
		}
	}
	return name, declarative
}

// run runs a command in dir with extra environment and returns its output,
// failing the test if it fails.
func run(t *testing.T, dir string, env []string, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}
