package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ztfbridge/ztfbridge/internal/core/cli"
)

// flagDoc is what a command's --help or a docs table says of one flag.
type flagDoc struct {
	env, def string
}

// helpFlags runs "ztfbridge command --help" and reads its flags.
func helpFlags(t *testing.T, command string) map[string]flagDoc {
	t.Helper()
	var stderr bytes.Buffer
	e := cli.Env{Program: "ztfbridge", Stdout: io.Discard, Stderr: &stderr, Log: slog.New(slog.DiscardHandler)}
	if code := cli.Run(context.Background(), e, about, commands(), []string{command, "--help"}); code != 0 {
		t.Fatalf("%s --help: exit status %d", command, code)
	}
	flags := map[string]flagDoc{}
	var name string
	flagLine := regexp.MustCompile(`^  --([a-z0-9-]+).*\[\$([A-Z0-9_]+)\]`)
	def := regexp.MustCompile(`\(default (.*)\)$`)
	for line := range strings.SplitSeq(stderr.String(), "\n") {
		if m := flagLine.FindStringSubmatch(line); m != nil {
			name = m[1]
			flags[name] = flagDoc{env: m[2]}
		} else if m := def.FindStringSubmatch(line); m != nil && name != "" {
			f := flags[name]
			f.def = strings.Trim(m[1], `"`)
			flags[name] = f
		}
	}
	return flags
}

// tableFlags reads the rows "| `--flag` | `ZTFBRIDGE_FLAG` | default | ... |"
// of the table that follows heading in the markdown file doc.
func tableFlags(t *testing.T, doc, heading string) map[string]flagDoc {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", doc))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), heading)
	if !ok {
		t.Fatalf("%s has no %q", doc, heading)
	}
	row := regexp.MustCompile("^\\| `--([a-z0-9-]+)` \\| `([A-Z0-9_]+)` \\|([^|]*)\\|")
	backticked := regexp.MustCompile("^`([^`]*)`$")
	flags := map[string]flagDoc{}
	inTable := false
	for line := range strings.SplitSeq(rest, "\n") {
		m := row.FindStringSubmatch(line)
		if m == nil {
			if inTable {
				break
			}
			continue
		}
		inTable = true
		f := flagDoc{env: m[2]}
		if d := backticked.FindStringSubmatch(strings.TrimSpace(m[3])); d != nil {
			f.def = d[1]
		}
		flags[m[1]] = f
	}
	return flags
}

// TestDocsFlagTables checks the flag tables of docs/ against the commands'
// flags: the same flags, environment variables and defaults, so that a
// setting described in the code is described the same in the docs.
func TestDocsFlagTables(t *testing.T) {
	for _, tc := range []struct{ command, doc, heading string }{
		{"connect", "connector.md", "## Configuration"},
		{"redrive", "operating.md", "## Redriving dead letters"},
	} {
		t.Run(tc.command, func(t *testing.T) {
			help, table := helpFlags(t, tc.command), tableFlags(t, tc.doc, tc.heading)
			if len(table) == 0 {
				t.Fatalf("docs/%s has no flag table after %q", tc.doc, tc.heading)
			}
			names := slices.Sorted(func(yield func(string) bool) {
				for n := range help {
					if !yield(n) {
						return
					}
				}
				for n := range table {
					if _, ok := help[n]; !ok && !yield(n) {
						return
					}
				}
			})
			for _, n := range names {
				h, inHelp := help[n]
				d, inDoc := table[n]
				switch {
				case !inDoc:
					t.Errorf("--%s is a flag of %s but not in docs/%s", n, tc.command, tc.doc)
				case !inHelp:
					t.Errorf("docs/%s describes --%s, which %s does not have", tc.doc, n, tc.command)
				case h.env != d.env:
					t.Errorf("--%s: environment %s in docs/%s, %s in the command", n, d.env, tc.doc, h.env)
				case h.def != d.def:
					t.Errorf("--%s: default %q in docs/%s, %q in the command", n, d.def, tc.doc, h.def)
				}
			}
		})
	}
}
