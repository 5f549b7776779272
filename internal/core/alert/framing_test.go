package alert

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"testing"

	"github.com/hamba/avro/v2"

	"github.com/ztfbridge/ztfbridge/internal/core/alert/alerttest"
)

// zigzag encodes n as an Avro long.
func zigzag(n int64) []byte {
	var out []byte
	u := uint64(n<<1) ^ uint64(n>>63)
	for u >= 0x80 {
		out = append(out, byte(u)|0x80)
		u >>= 7
	}
	return append(out, byte(u))
}

func TestFramingLong(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		want int64
		err  error
	}{
		{"zero", []byte{0}, 0, nil},
		{"minus one", []byte{1}, -1, nil},
		{"one", []byte{2}, 1, nil},
		{"two bytes", zigzag(300), 300, nil},
		{"largest", zigzag(1<<63 - 1), 1<<63 - 1, nil},
		{"smallest", zigzag(-1 << 63), -1 << 63, nil},
		{"empty", nil, 0, io.ErrUnexpectedEOF},
		{"cut", zigzag(300)[:1], 0, io.ErrUnexpectedEOF},
		{"longer than a long", bytes.Repeat([]byte{0x80}, 11), 0, errLongOverflow},
	} {
		f := framing{b: tc.in}
		got, err := f.long()
		if got != tc.want || !errors.Is(err, tc.err) {
			t.Errorf("%s: long() = %d, %v; want %d, %v", tc.name, got, err, tc.want, tc.err)
		}
	}
}

// TestFramingHeader reads the header of a real packet re-encoded the ways
// the Avro spec allows (a metadata block with its byte size, entries
// spread over blocks) and broken ways, and checks that Summarize reads
// what it reads from the original, or refuses it as corrupt.
func TestFramingHeader(t *testing.T) {
	packet := alerttest.Real(t, "4.02")[0]
	d := NewDecoder()
	want, err := d.Summarize(packet)
	if err != nil {
		t.Fatal(err)
	}
	c, err := d.open(packet)
	if err != nil {
		t.Fatal(err)
	}
	body := packet[c.f.pos:] // the blocks
	var keys, values [][]byte
	f := framing{b: packet, pos: len(containerMagic)}
	if err := f.meta(func(k, v []byte) { keys, values = append(keys, k), append(values, v) }); err != nil {
		t.Fatal(err)
	}
	entry := func(i int) []byte {
		e := append(zigzag(int64(len(keys[i]))), keys[i]...)
		return append(append(e, zigzag(int64(len(values[i])))...), values[i]...)
	}
	var all []byte
	for i := range keys {
		all = append(all, entry(i)...)
	}
	header := func(meta ...[]byte) []byte {
		h := []byte(containerMagic)
		for _, m := range meta {
			h = append(h, m...)
		}
		return append(append(h, c.sync...), body...)
	}
	sized := append(append(zigzag(-int64(len(keys))), zigzag(int64(len(all)))...), all...)
	var oneByOne, noSchema [][]byte
	for i, k := range keys {
		oneByOne = append(oneByOne, zigzag(1), entry(i))
		if string(k) != schemaKey {
			noSchema = append(noSchema, zigzag(1), entry(i))
		}
	}
	for _, tc := range []struct {
		name    string
		packet  []byte
		corrupt bool
	}{
		{"as written", header(zigzag(int64(len(keys))), all, zigzag(0)), false},
		{"a block with its byte size", header(sized, zigzag(0)), false},
		{"one entry per block", header(append(oneByOne, zigzag(0))...), false},
		{"no end of the metadata", header(zigzag(int64(len(keys))), all), true},
		{"an entry too long", header(zigzag(1), zigzag(int64(len(packet)))), true},
		{"a negative length", header(zigzag(1), zigzag(-2)), true},
		{"no schema", header(append(noSchema, zigzag(0))...), true},
	} {
		got, err := d.Summarize(tc.packet)
		switch {
		case tc.corrupt && !errors.Is(err, ErrCorrupt):
			t.Errorf("%s: error %v, want ErrCorrupt", tc.name, err)
		case !tc.corrupt && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case !tc.corrupt && (len(got) != 1 || got[0] != want[0]):
			t.Errorf("%s: %+v, want %+v", tc.name, got, want)
		}
	}
}

// TestLeadingCutsTheCandidate checks that Summarize's plan reads a real
// packet's record up to its candidate, and the candidate up to the last
// field the summary needs.
func TestLeadingCutsTheCandidate(t *testing.T) {
	d := NewDecoder()
	c, err := d.open(alerttest.Real(t, "4.02")[0])
	if err != nil {
		t.Fatal(err)
	}
	ps, err := c.w.planFor(reflect.TypeFor[summaryRecord]())
	if err != nil {
		t.Fatal(err)
	}
	if ps.prefixSchema == nil {
		t.Fatal("no prefix plan")
	}
	fieldsOf := func(s avro.Schema, name string) []*avro.Field {
		for _, f := range s.(*avro.RecordSchema).Fields() {
			if f.Name() == name {
				return f.Type().(*avro.RecordSchema).Fields()
			}
		}
		t.Fatalf("no field %s", name)
		return nil
	}
	whole, cut := fieldsOf(c.w.schema, "candidate"), fieldsOf(ps.prefixSchema, "candidate")
	if last := cut[len(cut)-1].Name(); len(cut) >= len(whole) || last != "dec" {
		t.Errorf("the prefix reads %d of the candidate's %d fields, up to %s; want fewer, up to dec", len(cut), len(whole), last)
	}
}
