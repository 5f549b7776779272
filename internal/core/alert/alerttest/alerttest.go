// Package alerttest gives tests the real ZTF packets kept beside the
// repository in ../shared/ztf-alerts, described by their MANIFEST.tsv.
//
// The packets are never copied into the repository: tests find the
// repository root (the directory with go.mod) above their working
// directory and read the files from there.
package alerttest

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Entry is one row of MANIFEST.tsv: a packet and what is known of it.
type Entry struct {
	Path          string   // relative to Dir
	Class         string   // ztf-real, simulated(...), CORRUPT(...), ...
	SchemaVersion string   // "version" of the writer schema, "" if none
	Records       int      // records in the container, 0 if unreadable
	Candids       []int64  // in record order
	ObjectIDs     []string // sorted as the manifest lists them
	SchemaVsn     string   // the records' schemavsn field, "" if none
	Night         string   // YYYY-MM-DD from candidate.nid, "" if none
	NPrv          []int    // len(prv_candidates) per record
	NUpperLimits  []int    // prv_candidates with a null candid, per record
	NFPHists      []int    // len(fp_hists) per record, -1 where absent
}

// Broken reports whether the file must fail to decode: truncated files,
// bare datums without a container header, and non-ZTF packets.
func (e Entry) Broken() bool {
	return strings.Contains(e.Class, "CORRUPT") ||
		strings.HasPrefix(e.Class, "schemaless-datum") ||
		strings.HasPrefix(e.Class, "NOT-ZTF")
}

// Read returns the bytes of the packet.
func (e Entry) Read(t testing.TB) []byte {
	t.Helper()
	return File(t, e.Path)
}

// File returns the bytes of the packet at path, relative to Dir.
func File(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(Dir(t), path))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Dir returns the directory of the shared ZTF packets,
// <repository root>/../shared/ztf-alerts. It fails the test when the
// directory is missing: these tests need the real packets.
func Dir(t testing.TB) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			d := filepath.Join(dir, "..", "shared", "ztf-alerts")
			if _, err := os.Stat(filepath.Join(d, "MANIFEST.tsv")); err != nil {
				t.Fatalf("real ZTF packets not found beside the repository: %v", err)
			}
			return d
		}
		if filepath.Dir(dir) == dir {
			t.Fatalf("no go.mod above %s", wd)
		}
	}
}

// Manifest returns every entry of MANIFEST.tsv.
func Manifest(t testing.TB) []Entry {
	t.Helper()
	f, err := os.Open(filepath.Join(Dir(t), "MANIFEST.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comma = '\t'
	r.LazyQuotes = true
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatalf("MANIFEST.tsv: %v", err)
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	var entries []Entry
	for _, row := range rows[1:] {
		get := func(name string) string {
			i, ok := col[name]
			if !ok {
				t.Fatalf("MANIFEST.tsv has no column %q", name)
			}
			return row[i]
		}
		e := Entry{
			Path:          get("path"),
			Class:         get("class"),
			SchemaVersion: get("schema_version"),
			SchemaVsn:     none(get("schemavsn_field")),
			Night:         get("obs_night_utc(from nid)"),
			ObjectIDs:     list(get("objectIds")),
		}
		if e.Broken() {
			entries = append(entries, e)
			continue
		}
		if e.Records, err = strconv.Atoi(get("records")); err != nil {
			t.Fatalf("%s: records: %v", e.Path, err)
		}
		for _, s := range list(get("candids")) {
			c, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				t.Fatalf("%s: candid: %v", e.Path, err)
			}
			e.Candids = append(e.Candids, c)
		}
		e.NPrv = ints(t, get("n_prv_candidates"))
		e.NUpperLimits = ints(t, get("n_prv_upperlimits"))
		e.NFPHists = ints(t, get("n_fp_hists"))
		entries = append(entries, e)
	}
	return entries
}

// Real returns the packets ZTF published as they are (class ztf-real)
// whose writer schema version starts with prefix ("4." for the current
// layout, "" for all).
func Real(t testing.TB, prefix string) [][]byte {
	t.Helper()
	var out [][]byte
	for _, e := range Manifest(t) {
		if strings.HasPrefix(e.Class, "ztf-real") && strings.HasPrefix(e.SchemaVersion, prefix) {
			out = append(out, e.Read(t))
		}
	}
	if len(out) == 0 {
		t.Fatalf("no real packets with schema version %s*", prefix)
	}
	return out
}

// Seed adds to f's corpus what every fuzz test of a path that takes a
// message starts from: each real packet (Real), the empty message and the
// bare Avro container magic.
func Seed(f *testing.F) {
	f.Helper()
	for _, b := range Real(f, "") {
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte("Obj\x01"))
}

func none(s string) string {
	if s == "None" {
		return ""
	}
	return s
}

// list splits a manifest list, written with "," or ";".
func list(s string) []string {
	s = none(s)
	if s == "" {
		return nil
	}
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' })
}

func ints(t testing.TB, s string) []int {
	var out []int
	for _, f := range list(s) {
		if f == "absent" {
			out = append(out, -1)
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil {
			t.Fatalf("manifest number %q: %v", f, err)
		}
		out = append(out, n)
	}
	return out
}
