package synth

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/ztfbridge/ztfbridge/internal/core/alert"
)

// Poison is one message a live stream can carry that is not an alert, and
// the reason (an internal/core/message Reason) every stage must refuse it with.
type Poison struct {
	Name   string // what is wrong with it, for test names
	Data   []byte
	Reason string
}

// GeneratePoisoned returns a night with bad input: the first n packets of
// the night cfg describes, and then its Poison, made from the packets
// after them (no candid of the n repeats).
func GeneratePoisoned(cfg Config, n int) ([]Packet, []Poison, error) {
	g, err := New(cfg)
	if err != nil {
		return nil, nil, err
	}
	packets, err := g.Packets(n)
	if err != nil {
		return nil, nil, err
	}
	poison, err := g.Poison()
	return packets, poison, err
}

// Poison returns one message of each kind of bad input the pipeline must
// refuse without stalling: alerts of g's night with broken identifiers,
// and bytes that are no alert at all. It advances g like Next. The
// packets of ../shared/ztf-alerts that are broken on purpose are not
// included; tests add them from alerttest.
func (g *Generator) Poison() ([]Poison, error) {
	var out []Poison
	mutate := func(name, reason string, change func(a *alert.Alert)) error {
		p, err := g.Next()
		if err != nil {
			return err
		}
		change(p.Alert)
		data, err := g.container(p.Alert)
		if err != nil {
			return fmt.Errorf("synth: poison %s: %w", name, err)
		}
		out = append(out, Poison{Name: name, Data: data, Reason: reason})
		return nil
	}
	for _, m := range []struct {
		name, reason string
		change       func(a *alert.Alert)
	}{
		{"objectId invalid UTF-8", "invalid_ids", func(a *alert.Alert) { a.ObjectID = "ZTF24\xff\xfeabc" }},
		{"objectId over 1024 bytes", "invalid_ids", func(a *alert.Alert) { a.ObjectID = "ZTF24" + strings.Repeat("a", 1100) }},
		{"schemavsn over 1024 bytes", "invalid_ids", func(a *alert.Alert) { a.SchemaVsn = strings.Repeat("é版", 300) }},
		{"candid 0", "invalid_ids", func(a *alert.Alert) { a.Candid, a.Candidate.Candid = 0, 0 }},
		{"candid negative", "invalid_ids", func(a *alert.Alert) { a.Candid, a.Candidate.Candid = -a.Candid, -a.Candid }},
		{"candid not candidate.candid", "invalid_ids", func(a *alert.Alert) { a.Candidate.Candid++ }},
		{"empty objectId", "invalid_ids", func(a *alert.Alert) { a.ObjectID = "" }},
	} {
		if err := mutate(m.name, m.reason, m.change); err != nil {
			return nil, err
		}
	}

	good, err := g.Next()
	if err != nil {
		return nil, err
	}
	second, err := g.Next()
	if err != nil {
		return nil, err
	}
	two, err := g.container(good.Alert, second.Alert)
	if err != nil {
		return nil, err
	}
	junk := make([]byte, 4096)
	r := rand.New(rand.NewPCG(g.cfg.Seed, 1))
	for i := range junk {
		junk[i] = byte(r.Uint32())
	}
	third, err := g.Next()
	if err != nil {
		return nil, err
	}
	return append(out,
		Poison{Name: "empty message", Data: []byte{}, Reason: "undecodable"},
		Poison{Name: "random bytes", Data: junk, Reason: "undecodable"},
		Poison{Name: "truncated packet", Data: third.Data[:len(third.Data)*2/3], Reason: "undecodable"},
		Poison{Name: "two records", Data: two, Reason: "not_one_alert"},
		Poison{Name: "Avro that is no alert", Data: notAlert(), Reason: "undecodable"},
	), nil
}

// notAlert is a well-formed Avro container of one record that is not a
// ZTF alert.
func notAlert() []byte {
	schema := `{"type":"record","name":"reading","fields":[{"name":"sensor","type":"string"},{"name":"value","type":"double"}]}`
	var b strings.Builder
	b.WriteString("Obj\x01")
	b.WriteString(avroLong(2))
	b.WriteString(avroString("avro.codec") + avroString("null"))
	b.WriteString(avroString("avro.schema") + avroString(schema))
	b.WriteString(avroLong(0))
	sync := strings.Repeat("s", 16)
	b.WriteString(sync)
	record := avroString("t1") + "\x00\x00\x00\x00\x00\x00\xf0\x3f" // "t1", 1.0
	b.WriteString(avroLong(1) + avroString(record) + sync)
	return []byte(b.String())
}

// avroLong is n in Avro's zig-zag varint encoding.
func avroLong(n int64) string {
	u := uint64(n<<1) ^ uint64(n>>63)
	var b []byte
	for u >= 0x80 {
		b = append(b, byte(u)|0x80)
		u >>= 7
	}
	return string(append(b, byte(u)))
}

// avroString is s as Avro bytes: its length, then s.
func avroString(s string) string { return avroLong(int64(len(s))) + s }
