package sourcezip_test

import (
	"archive/zip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ztfbridge/ztfbridge/functions/sourcezip"
)

// Build writes the archive terraform uploads. Its root holds go.mod and
// the entry point package; the packages it imports keep their paths.
func Example() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "function-source.zip")
	if err := sourcezip.Build(context.Background(), sourcezip.Options{Out: out}); err != nil {
		panic(err)
	}
	r, err := zip.OpenReader(out)
	if err != nil {
		panic(err)
	}
	defer r.Close()
	for _, f := range r.File {
		if !strings.Contains(f.Name, "/") || strings.HasPrefix(f.Name, "functions/") {
			fmt.Println(f.Name)
		}
	}
	// Output:
	// entrypoint.go
	// functions/archiver.go
	// functions/config.go
	// functions/doc.go
	// functions/event.go
	// functions/serve.go
	// go.mod
	// go.sum
}
