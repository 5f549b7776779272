// Package sourcezip builds the source archive of the Cloud Function, the zip
// that terraform uploads and Cloud Build compiles with the Go buildpack.
//
// The buildpack wants the function package at the archive root with its
// go.mod; it generates a main package inside that module which imports the
// root package and starts the functions framework. ztfbridge is one module
// whose function imports internal/ packages, and Go only lets packages of
// the same module tree import those. So the archive is a trimmed copy of
// the ztfbridge module itself, module path unchanged:
//
//	go.mod, go.sum             the module's, tidied for the packages below
//	entrypoint.go              package functions/entrypoint, moved to the root
//	functions/*.go             the packages the entry point imports from this
//	internal/core/alert/*.go   module, at their usual paths, without tests
//	...
//
// Third-party modules are not vendored: go.mod and go.sum pin them and the
// buildpack downloads them from the Go module proxy. The go line of go.mod
// is the highest that a dependency requires (1.26 for the pinned Google
// Cloud clients: google.golang.org/api, grpc, otel and golang.org/x/sys);
// Build fails if it exceeds the Go version of functions.Runtime.
package sourcezip

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/semver"

	"github.com/ztfbridge/ztfbridge/functions"
)

// EntryPackage is the package placed at the root of the archive.
const EntryPackage = modulePath + "/functions/entrypoint"

const modulePath = "github.com/ztfbridge/ztfbridge"

// Options says where to build from and to.
type Options struct {
	// Root is the directory of ztfbridge's go.mod. Empty means the
	// nearest directory at or above the working directory holding a go.mod.
	Root string
	// Out is the zip file to write; its directory is created.
	Out string
}

// Build writes the source archive to opts.Out. It runs the go command
// (go list, go mod tidy), which may fetch missing modules from GOPROXY.
// The archive's bytes depend only on the source files and go.mod: entries
// are sorted and carry a fixed time, so terraform sees a change only when
// the function's code or dependencies change.
func Build(ctx context.Context, opts Options) error {
	root := opts.Root
	if root == "" {
		var err error
		if root, err = findRoot(ctx); err != nil {
			return err
		}
	}
	stage, err := os.MkdirTemp("", "function-source-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(stage)

	pkgs, err := modulePackages(ctx, root)
	if err != nil {
		return err
	}
	for _, p := range pkgs {
		if err := copyPackage(p, root, stage); err != nil {
			return err
		}
	}
	for _, f := range []string{"go.mod", "go.sum"} {
		if err := copyFile(filepath.Join(root, f), filepath.Join(stage, f)); err != nil {
			return err
		}
	}
	if err := tidy(ctx, stage); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(opts.Out), 0o755); err != nil {
		return err
	}
	return writeZip(stage, opts.Out)
}

// pkg is the part of "go list -json" that Build reads.
type pkg struct {
	ImportPath string
	Dir        string
	EmbedFiles []string
}

// modulePackages lists EntryPackage and the packages of this module it
// imports, directly or not.
func modulePackages(ctx context.Context, root string) ([]pkg, error) {
	out, err := goCommand(ctx, root, "list", "-deps", "-json=ImportPath,Dir,EmbedFiles,Module", EntryPackage)
	if err != nil {
		return nil, err
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			pkg
			Module *struct{ Path string }
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("sourcezip: reading go list output: %w", err)
		}
		if p.Module != nil && p.Module.Path == modulePath {
			pkgs = append(pkgs, p.pkg)
		}
	}
	return pkgs, nil
}

// copyPackage copies the non-test Go files and embedded files of p into
// stage, at the root for EntryPackage and at p's own path otherwise.
func copyPackage(p pkg, root, stage string) error {
	rel, err := filepath.Rel(root, p.Dir)
	if err != nil {
		return err
	}
	dst := filepath.Join(stage, rel)
	if p.ImportPath == EntryPackage {
		dst = stage
	}
	entries, err := os.ReadDir(p.Dir)
	if err != nil {
		return err
	}
	files := slices.Clone(p.EmbedFiles)
	for _, e := range entries {
		if n := e.Name(); !e.IsDir() && strings.HasSuffix(n, ".go") && !strings.HasSuffix(n, "_test.go") {
			files = append(files, n)
		}
	}
	for _, f := range files {
		if err := copyFile(filepath.Join(p.Dir, f), filepath.Join(dst, f)); err != nil {
			return err
		}
	}
	return nil
}

// tidy trims the staged go.mod to the staged packages, drops the
// toolchain line (the runtime's Go builds it) and checks the go line
// against functions.Runtime.
func tidy(ctx context.Context, stage string) error {
	if _, err := goCommand(ctx, stage, "mod", "tidy"); err != nil {
		return err
	}
	if _, err := goCommand(ctx, stage, "mod", "edit", "-toolchain=none"); err != nil {
		return err
	}
	data, err := os.ReadFile(filepath.Join(stage, "go.mod"))
	if err != nil {
		return err
	}
	return CheckGoVersion(data, functions.Runtime)
}

// CheckGoVersion reports an error if the go line of the go.mod in gomod
// needs a newer Go than the Cloud Functions runtime (such as "go126")
// provides.
func CheckGoVersion(gomod []byte, runtime string) error {
	f, err := modfile.ParseLax("go.mod", gomod, nil)
	if err != nil {
		return fmt.Errorf("sourcezip: %w", err)
	}
	if f.Go == nil {
		return errors.New("sourcezip: go.mod has no go line")
	}
	digits, ok := strings.CutPrefix(runtime, "go1")
	if !ok || len(digits) == 0 {
		return fmt.Errorf("sourcezip: runtime %q is not of the form go1NN", runtime)
	}
	have := "v1." + digits
	need := "v" + f.Go.Version
	if semver.Compare(semver.MajorMinor(need), have) > 0 {
		return fmt.Errorf("sourcezip: go.mod says go %s, but runtime %s has Go %s; upgrade functions.Runtime or pin older dependencies", f.Go.Version, runtime, strings.TrimPrefix(have, "v"))
	}
	return nil
}

// writeZip writes every file under dir into the zip out, sorted, with a
// fixed modification time.
func writeZip(dir, out string) error {
	var names []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		names = append(names, filepath.ToSlash(rel))
		return err
	})
	if err != nil {
		return err
	}
	slices.Sort(names)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(n)))
		if err != nil {
			return err
		}
		// 0644 files: the buildpack must be able to rewrite go.mod.
		h := &zip.FileHeader{Name: path.Clean(n), Method: zip.Deflate, Modified: time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC)}
		h.SetMode(0o644)
		w, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		if _, err := w.Write(data); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return os.WriteFile(out, buf.Bytes(), 0o644)
}

func copyFile(src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return os.WriteFile(dst, data, 0o644)
}

// goCommand runs the go command in dir with module mode forced on and the
// local toolchain, and returns its standard output.
func goCommand(ctx context.Context, dir string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GO111MODULE=on", "GOWORK=off", "GOTOOLCHAIN=local")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("sourcezip: go %s in %s: %w\n%s", strings.Join(args, " "), dir, err, stderr.String())
	}
	return out, nil
}

// findRoot returns the folder of the go.mod that governs the working
// directory (go env GOMOD).
func findRoot(ctx context.Context) (string, error) {
	out, err := goCommand(ctx, "", "env", "GOMOD")
	if err != nil {
		return "", err
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("sourcezip: the working directory is in no Go module")
	}
	return filepath.Dir(mod), nil
}
