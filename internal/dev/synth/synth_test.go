package synth_test

import (
	"bytes"
	"reflect"
	"strconv"
	"testing"

	"github.com/ztfbridge/ztfbridge/internal/core/alert"
	"github.com/ztfbridge/ztfbridge/internal/core/night"
	"github.com/ztfbridge/ztfbridge/internal/dev/synth"
)

func generate(t testing.TB, cfg synth.Config, n int) []synth.Packet {
	t.Helper()
	packets, err := synth.Generate(cfg, n)
	if err != nil {
		t.Fatal(err)
	}
	return packets
}

func testNight(t testing.TB) synth.Config {
	n, err := night.Parse("20240715")
	if err != nil {
		t.Fatal(err)
	}
	return synth.Config{Night: n, Seed: 7, Objects: 50}
}

// TestRoundTrip decodes every generated packet and compares it with the
// alert the generator says it encoded.
func TestRoundTrip(t *testing.T) {
	d := alert.NewDecoder()
	for _, p := range generate(t, testNight(t), 300) {
		alerts, err := d.Decode(p.Data)
		if err != nil {
			t.Fatalf("%d: %v", p.Candid, err)
		}
		if len(alerts) != 1 || alerts[0].Candid != p.Candid {
			t.Fatalf("%d: decoded %d alerts", p.Candid, len(alerts))
		}
		// What the decoder adds to the generated values: the writer
		// schema, and prv_candidates' rfid (ZTF's schema has none) absent.
		alerts[0].Writer = nil
		for i := range alerts[0].PrvCandidates {
			alerts[0].PrvCandidates[i].Absent = alert.FieldSet{}
		}
		if !reflect.DeepEqual(alerts[0], p.Alert) {
			t.Fatalf("%d: decoded alert differs from the generated one:\n got %+v\nwant %+v", p.Candid, alerts[0].Candidate, p.Alert.Candidate)
		}
	}
	if d.SchemaParses() != 1 {
		t.Errorf("%d schema parses for one generator's packets", d.SchemaParses())
	}
}

func TestDeterministic(t *testing.T) {
	cfg := testNight(t)
	a, b := generate(t, cfg, 20), generate(t, cfg, 20)
	cfg.Seed++
	c := generate(t, cfg, 20)
	for i := range a {
		if !bytes.Equal(a[i].Data, b[i].Data) {
			t.Fatalf("packet %d differs between two runs with the same seed", i)
		}
		if bytes.Equal(a[i].Data, c[i].Data) {
			t.Fatalf("packet %d is the same with another seed", i)
		}
	}
}

// TestRealistic checks what the benchmarks and the demo rely on: sizes,
// unique candids of the night, several alerts per object with growing
// histories, cutouts that do not compress away.
func TestRealistic(t *testing.T) {
	cfg := testNight(t)
	packets := generate(t, cfg, 400)
	nid := strconv.Itoa(cfg.Night.NID())
	seen := map[int64]bool{}
	history := map[string]int{}
	grew := 0
	for _, p := range packets {
		a := p.Alert
		if n := len(p.Data); n < 60_000 || n > 90_000 {
			t.Errorf("%d: %d bytes, want 60-90 KB", p.Candid, n)
		}
		if seen[p.Candid] {
			t.Errorf("candid %d twice", p.Candid)
		}
		seen[p.Candid] = true
		if s := strconv.FormatInt(p.Candid, 10); len(s) != 19 || s[:len(nid)] != nid {
			t.Errorf("candid %s does not start with nid %s", s, nid)
		}
		if a.Topic() != "ztf_20240715_programid1" || *a.Candidate.NID != int32(cfg.Night.NID()) {
			t.Errorf("%d: topic %s nid %d", p.Candid, a.Topic(), *a.Candidate.NID)
		}
		if len(a.ObjectID) != 12 || a.ObjectID[:3] != "ZTF" {
			t.Errorf("objectId %q", a.ObjectID)
		}
		for _, c := range a.Cutouts() {
			if n := len(c.StampData); n < 12_000 || n > 15_000 || !bytes.HasPrefix(c.StampData, []byte{0x1f, 0x8b}) {
				t.Errorf("%d: cutout %s of %d bytes, want 12-15 KB of gzip", p.Candid, c.FileName, n)
			}
		}
		if prev, ok := history[a.ObjectID]; ok && len(a.PrvCandidates) > prev {
			grew++
		}
		history[a.ObjectID] = len(a.PrvCandidates)
	}
	if len(history) != cfg.Objects {
		t.Errorf("%d objects, want %d", len(history), cfg.Objects)
	}
	if grew < len(packets)/2 {
		t.Errorf("only %d of %d alerts have a longer history than their object's previous alert", grew, len(packets))
	}
}

func TestConfig(t *testing.T) {
	if _, err := synth.New(synth.Config{}); err == nil {
		t.Error("New without a night did not fail")
	}
}

func BenchmarkNext(b *testing.B) {
	g, err := synth.New(testNight(b))
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for b.Loop() {
		p, err := g.Next()
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(p.Data)))
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "alerts/s")
}
