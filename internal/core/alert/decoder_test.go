package alert_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/ztfbridge/ztfbridge/internal/core/alert"
	"github.com/ztfbridge/ztfbridge/internal/core/alert/alerttest"
)

// TestDecodeManifest decodes every real packet and checks it against what
// MANIFEST.tsv says of it; the broken ones must fail with the right error.
func TestDecodeManifest(t *testing.T) {
	d := alert.NewDecoder()
	entries := alerttest.Manifest(t)
	if len(entries) < 160 {
		t.Fatalf("manifest lists %d packets, want the full set", len(entries))
	}
	for _, e := range entries {
		t.Run(e.Path, func(t *testing.T) {
			alerts, err := d.Decode(e.Read(t))
			if e.Broken() {
				want := wantError(e.Class)
				if !errors.Is(err, want) {
					t.Fatalf("Decode = %v, want an error wrapping %q", err, want)
				}
				if alerts != nil {
					t.Errorf("Decode returned %d alerts with its error", len(alerts))
				}
				return
			}
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if len(alerts) != e.Records {
				t.Fatalf("got %d alerts, manifest says %d records", len(alerts), e.Records)
			}
			var objectIDs []string
			for i, a := range alerts {
				if a.Candid != e.Candids[i] {
					t.Errorf("alert %d: candid %d, want %d", i, a.Candid, e.Candids[i])
				}
				if a.ObjectID != "" {
					objectIDs = append(objectIDs, a.ObjectID)
				}
				if a.SchemaVsn != e.SchemaVsn {
					t.Errorf("alert %d: schemavsn %q, want %q", i, a.SchemaVsn, e.SchemaVsn)
				}
				if a.SchemaVersion != e.SchemaVersion {
					t.Errorf("alert %d: schema version %q, want %q", i, a.SchemaVersion, e.SchemaVersion)
				}
				if e.Night != "" && a.Night.Time().Format("2006-01-02") != e.Night {
					t.Errorf("alert %d: night %s, want %s", i, a.Night.Time().Format("2006-01-02"), e.Night)
				}
				if got := len(a.PrvCandidates); got != e.NPrv[i] {
					t.Errorf("alert %d: %d prv_candidates, want %d", i, got, e.NPrv[i])
				}
				if got := a.UpperLimits(); got != e.NUpperLimits[i] {
					t.Errorf("alert %d: %d upper limits, want %d", i, got, e.NUpperLimits[i])
				}
				if want := max(e.NFPHists[i], 0); len(a.FPHists) != want {
					t.Errorf("alert %d: %d fp_hists, want %d", i, len(a.FPHists), want)
				}
				if e.Night != "" && !strings.HasPrefix(a.Topic(), "ztf_"+strings.ReplaceAll(e.Night, "-", "")) {
					t.Errorf("alert %d: topic %s for night %s", i, a.Topic(), e.Night)
				}
			}
			slices.Sort(objectIDs)
			objectIDs = slices.Compact(objectIDs)
			if !slices.Equal(objectIDs, e.ObjectIDs) {
				t.Errorf("objectIds %v, want %v", objectIDs, e.ObjectIDs)
			}
		})
	}
}

// wantError maps a manifest class of a broken file to the error Decode
// must give for it.
func wantError(class string) error {
	switch {
	case strings.Contains(class, "top-level union"), strings.HasPrefix(class, "NOT-ZTF"):
		return alert.ErrNotZTF
	case strings.HasPrefix(class, "schemaless-datum"):
		return alert.ErrNotContainer
	}
	return alert.ErrCorrupt
}

// TestDecodeFields checks values of one current packet field by field.
func TestDecodeFields(t *testing.T) {
	var e alerttest.Entry
	for _, m := range alerttest.Manifest(t) {
		if strings.HasSuffix(m.Path, ".avro") && m.SchemaVersion == "4.02" && m.Class == "ztf-real" {
			e = m
			break
		}
	}
	alerts, err := alert.NewDecoder().Decode(e.Read(t))
	if err != nil {
		t.Fatal(err)
	}
	a := alerts[0]
	c := a.Candidate
	if c.Candid != a.Candid || c.JD < 2.46e6 || c.RA < 0 || c.RA > 360 || c.Dec < -90 || c.Dec > 90 {
		t.Errorf("candidate = candid %d jd %f ra %f dec %f", c.Candid, c.JD, c.RA, c.Dec)
	}
	if c.NID == nil || c.Field == nil || c.RB == nil || c.DRB == nil {
		t.Errorf("nullable fields of a 4.02 candidate missing: nid %v field %v rb %v drb %v", c.NID, c.Field, c.RB, c.DRB)
	}
	if !strings.HasPrefix(strconv.FormatInt(a.Candid, 10), strconv.Itoa(int(*c.NID))) {
		t.Errorf("candid %d does not start with nid %d", a.Candid, *c.NID)
	}
	if a.Publisher == "" || !slices.Contains([]string{"t", "f", "1", "0"}, c.IsDiffPos) {
		t.Errorf("publisher %q isdiffpos %q", a.Publisher, c.IsDiffPos)
	}
	for _, fp := range a.FPHists {
		if fp.JD == 0 || fp.Procstatus == nil {
			t.Errorf("fp_hist without jd or procstatus: %+v", fp)
		}
	}
	cutouts := a.Cutouts()
	if len(cutouts) != 3 {
		t.Fatalf("%d cutouts", len(cutouts))
	}
	for _, cut := range cutouts {
		if !bytes.HasPrefix(cut.StampData, []byte{0x1f, 0x8b}) || cut.FileName == "" {
			t.Errorf("cutout %q is not gzip (%d bytes)", cut.FileName, len(cut.StampData))
		}
	}
}

// TestDecodeReusesSchemas proves that packets with the same writer schema
// share one parse, also under concurrent use.
func TestDecodeReusesSchemas(t *testing.T) {
	packets := alerttest.Real(t, "4.02")
	d := alert.NewDecoder()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 5 {
				for _, p := range packets {
					if _, err := d.Decode(p); err != nil {
						t.Error(err)
					}
				}
			}
		})
	}
	wg.Wait()
	if d.SchemaParses() > 2*4 { // the 4.02 packets carry 2 distinct schemas; racing first sights may parse twice
		t.Errorf("%d schema parses for %d decodes of 2 distinct schemas", d.SchemaParses(), 20*len(packets))
	}
	before := d.SchemaParses()
	for _, p := range packets {
		if _, err := d.Decode(p); err != nil {
			t.Fatal(err)
		}
	}
	if d.SchemaParses() != before {
		t.Errorf("decoding known schemas again parsed %d more", d.SchemaParses()-before)
	}
}

// TestDecodeBroken checks the message for input that is not a packet.
func TestDecodeBroken(t *testing.T) {
	good := alerttest.Real(t, "4.02")[0]
	flipped := bytes.Clone(good)
	flipped[len(flipped)-5] ^= 0xff // inside the sync marker
	tests := []struct {
		name string
		in   []byte
		want error
		msg  string
	}{
		{"empty", nil, alert.ErrNotContainer, "empty input"},
		{"random", []byte("this is not an avro file at all"), alert.ErrNotContainer, "no container header"},
		{"magic only", []byte("Obj\x01"), alert.ErrCorrupt, "truncated"},
		{"truncated in header", good[:200], alert.ErrCorrupt, "truncated"},
		{"truncated in block", good[:len(good)-100], alert.ErrCorrupt, "truncated"},
		{"truncated sync", good[:len(good)-8], alert.ErrCorrupt, "truncated"},
		{"bad sync", flipped, alert.ErrCorrupt, "sync marker"},
		{"trailing garbage", append(bytes.Clone(good), 1, 2, 3), alert.ErrCorrupt, "block 2"},
	}
	d := alert.NewDecoder()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			alerts, err := d.Decode(tt.in)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("Decode = %v, want %q containing %q", err, tt.want, tt.msg)
			}
			if alerts != nil {
				t.Errorf("got alerts with the error")
			}
		})
	}
}

// TestSummarize checks the cheap path against the full decode.
func TestSummarize(t *testing.T) {
	d := alert.NewDecoder()
	for _, e := range alerttest.Manifest(t) {
		b := e.Read(t)
		alerts, err := d.Decode(b)
		sums, serr := d.Summarize(b)
		if (err == nil) != (serr == nil) {
			t.Errorf("%s: Decode error %v, Summarize error %v", e.Path, err, serr)
			continue
		}
		for i, a := range alerts {
			s := sums[i]
			if s.Candid != a.Candid || s.ObjectID != a.ObjectID || s.SchemaVsn != a.SchemaVsn ||
				s.SchemaVersion != a.SchemaVersion || s.Night != a.Night || s.Topic() != a.Topic() ||
				s.RA != a.Candidate.RA || s.Dec != a.Candidate.Dec || s.JD != a.Candidate.JD || s.CandidateCandid != a.Candidate.Candid {
				t.Errorf("%s: summary %+v differs from alert %d %s", e.Path, s, a.Candid, a.ObjectID)
			}
		}
	}
}

// TestDecodeOtherShapes checks writers whose field shapes differ from the
// Go definition: Fink's all-nullable export and a simulation that wrote
// isdiffpos as an int.
func TestDecodeOtherShapes(t *testing.T) {
	d := alert.NewDecoder()
	read := func(path string) []*alert.Alert {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(alerttest.Dir(t), path))
		if err != nil {
			t.Fatal(err)
		}
		alerts, err := d.Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		return alerts
	}
	sim := read("ztf-avro-alert/history/vpre1.1_2017-04-04_55cc77bb/data/87704463155000.avro")[0]
	if sim.Candidate.IsDiffPos != "1" && sim.Candidate.IsDiffPos != "0" {
		t.Errorf("int isdiffpos read as %q, want its decimal string", sim.Candidate.IsDiffPos)
	}
	for _, a := range read("astrolabsoftware+fink-client/datatest/ztf/part-3-305711.avro") {
		c := a.Candidate
		if a.Candid != c.Candid || c.JD < 2.46e6 || c.RA == 0 || c.Magpsf == 0 || c.NID == nil || a.CutoutScience == nil {
			t.Errorf("Fink alert %d: nullable fields not carried over: jd %v ra %v magpsf %v nid %v", a.Candid, c.JD, c.RA, c.Magpsf, c.NID)
		}
		for _, p := range a.PrvCandidates {
			if p.JD == 0 || p.FID == 0 {
				t.Errorf("Fink alert %d: prv_candidate without jd or fid", a.Candid)
			}
		}
	}
}

// TestDecodeDoesNotAlias checks that alerts stay intact when the caller
// reuses the packet's buffer.
func TestDecodeDoesNotAlias(t *testing.T) {
	b := bytes.Clone(alerttest.Real(t, "4.02")[0])
	alerts, err := alert.NewDecoder().Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	a := alerts[0]
	stamp, id := bytes.Clone(a.CutoutScience.StampData), strings.Clone(a.ObjectID)
	clear(b)
	if !bytes.Equal(a.CutoutScience.StampData, stamp) || a.ObjectID != id {
		t.Error("the alert changed when the packet's buffer was cleared")
	}
}

// TestSummarizeFraming checks that Summarize, which does not read a
// record past its candidate, still refuses a packet cut anywhere (every
// 1 KB and in the sync marker), a wrong sync marker and bytes after the
// last block, for one packet of each schema version.
func TestSummarizeFraming(t *testing.T) {
	d := alert.NewDecoder()
	seen := map[string]bool{}
	for _, e := range alerttest.Manifest(t) {
		if e.Broken() || e.Records != 1 || seen[e.SchemaVersion] {
			continue
		}
		seen[e.SchemaVersion] = true
		b := e.Read(t)
		if _, err := d.Summarize(b); err != nil {
			t.Fatalf("%s: %v", e.Path, err)
		}
		cuts := []int{len(b) - 1, len(b) - 8, len(b) - 16, len(b) - 17}
		for n := 0; n < len(b); n += 1 << 10 {
			cuts = append(cuts, n)
		}
		for _, n := range cuts {
			if _, err := d.Summarize(b[:n]); err == nil {
				t.Errorf("%s cut to %d of %d bytes: no error", e.Path, n, len(b))
			}
		}
		badSync := bytes.Clone(b)
		badSync[len(b)-1] ^= 1
		for name, p := range map[string][]byte{"wrong sync marker": badSync, "a byte after the block": append(bytes.Clone(b), 0)} {
			if _, err := d.Summarize(p); !errors.Is(err, alert.ErrCorrupt) {
				t.Errorf("%s with %s: error %v, want ErrCorrupt", e.Path, name, err)
			}
		}
	}
	if len(seen) < 3 {
		t.Fatalf("only %d schema versions among the real packets", len(seen))
	}
	t.Logf("%d schema versions", len(seen))
}
