package ztfbridge_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/ztfbridge/ztfbridge/"

// layer returns the layer of a package of this module, by its folder (see
// docs/architecture.md).
func layer(pkg string) string {
	p := strings.TrimPrefix(pkg, module)
	switch {
	case strings.HasPrefix(p, "internal/core/"):
		return "core"
	case strings.HasPrefix(p, "connector"), strings.HasPrefix(p, "functions"), strings.HasPrefix(p, "bqloader"):
		return "component"
	case strings.HasPrefix(p, "internal/ops/"):
		return "ops"
	case strings.HasPrefix(p, "internal/dev/"), p == "cmd/ztfbridge-dev":
		return "dev"
	case p == "cmd/ztfbridge":
		return "command"
	case strings.HasPrefix(p, "terraform/"):
		return "deploy"
	}
	return "unknown"
}

// mayImport says which layers the code (not the tests) of each layer may
// import: those below it (and, within a component, its own packages),
// and nothing but the development tooling imports the development tooling.
var mayImport = map[string][]string{
	"core":      {"core"},
	"component": {"core"},
	"ops":       {"core", "component", "ops"},
	"command":   {"core", "component", "ops"},
	"dev":       {"core", "component", "ops", "dev"},
	"deploy":    {"core", "deploy"}, // terraform's checks (the permission table)
}

// TestLayers checks every import between this module's packages against
// the layers, and that no component imports another.
func TestLayers(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for line := range strings.SplitSeq(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg, from := fields[0], layer(fields[0])
		if pkg == strings.TrimSuffix(module, "/") {
			continue // this test's own package
		}
		allowed, ok := mayImport[from]
		if !ok {
			t.Errorf("%s is in no layer: put it under internal/core, internal/ops, internal/dev or a component's folder", pkg)
			continue
		}
		for _, imp := range fields[1:] {
			if !strings.HasPrefix(imp, module) {
				continue
			}
			to := layer(imp)
			switch {
			case from == "component" && to == "component":
				if component(pkg) != component(imp) {
					t.Errorf("component %s imports component %s", pkg, imp)
				}
			case !slices.Contains(allowed, to):
				t.Errorf("%s (%s) imports %s (%s)", pkg, from, imp, to)
			}
		}
	}
}

// devOnly are the modules and packages that only development tooling may
// link: the local stack's servers and fakes.
var devOnly = []string{
	module + "internal/dev/",
	"github.com/twmb/franz-go/",
	"github.com/fsouza/fake-gcs-server/",
	"cloud.google.com/go/pubsub/v2/pstest",
	"github.com/goccy/bigquery-emulator/",
}

// TestDeployedLinksNoDevTooling checks what is deployed: the ztfbridge
// binary (the connector's VM, the loader's image, the operators' tasks)
// and the function's source archive (its entry point's packages).
func TestDeployedLinksNoDevTooling(t *testing.T) {
	for _, pkg := range []string{"./cmd/ztfbridge", "./functions/entrypoint"} {
		out, err := exec.Command("go", "list", "-deps", pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		for dep := range strings.SplitSeq(string(out), "\n") {
			for _, bad := range devOnly {
				if strings.HasPrefix(dep, bad) {
					t.Errorf("%s links %s", pkg, dep)
				}
			}
		}
	}
}

func component(pkg string) string {
	c, _, _ := strings.Cut(strings.TrimPrefix(pkg, module), "/")
	return c
}
