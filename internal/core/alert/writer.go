package alert

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
	"sync"

	"github.com/hamba/avro/v2"
)

// writer is a parsed writer schema with the plans that decode it, made once
// per Go type and kept for the next packet with the same schema.
type writer struct {
	schema  avro.Schema
	id      string // Schema.ID
	version string // the schema's "version" attribute
	err     error  // why the schema cannot be used; then schema is nil

	plans sync.Map // reflect.Type -> planResult
}

type planResult struct {
	plans *plans
	err   error
}

// writer returns the parsed writer schema for the schema bytes raw of a
// container header, parsing it on first sight.
func (d *Decoder) writer(raw []byte) (*writer, error) {
	d.mu.RLock()
	w, ok := d.schemas[string(raw)]
	d.mu.RUnlock()
	if !ok {
		w = parseWriter(raw)
		d.parses.Add(1)
		d.mu.Lock()
		if len(d.schemas) >= maxSchemas {
			clear(d.schemas) // a stream of junk schemas must not grow memory
		}
		d.schemas[string(raw)] = w
		d.mu.Unlock()
	}
	if w.err != nil {
		return nil, w.err
	}
	return w, nil
}

// ParseSchema parses a writer schema as ZTF writes it, the way Decode
// does. ZTF's schemas give defaults that the Avro spec rejects (null for
// ["float","null"], 0 for ["null","int"]); defaults play no part in
// reading data with the schema that wrote it, so they are removed before
// parsing. Union branches keep their order: the data depends on it. Each
// call parses with a fresh name cache, since ZTF versions reuse record
// names for different fields. It also returns the schema's "version"
// attribute ("" if none).
func ParseSchema(raw []byte) (s avro.Schema, version string, err error) {
	doc, stripped, err := withoutDefaults(raw)
	if err != nil {
		return nil, "", err
	}
	s, err = avro.ParseBytesWithCache(stripped, "", &avro.SchemaCache{})
	if err != nil {
		return nil, "", fmt.Errorf("%w: writer schema: %w", ErrCorrupt, err)
	}
	if top, ok := doc.(map[string]any); ok && top["version"] != nil {
		version = fmt.Sprint(top["version"])
	}
	return s, version, nil
}

// parseWriter parses a writer schema and checks that it describes ZTF
// alerts.
func parseWriter(raw []byte) *writer {
	s, version, err := ParseSchema(raw)
	if err == nil {
		err = checkZTF(s)
	}
	if err != nil {
		return &writer{err: err}
	}
	sum := sha256.Sum256(raw)
	return &writer{schema: s, id: hex.EncodeToString(sum[:8]), version: version}
}

// WithoutDefaults returns the writer schema raw without its "default"
// attributes, the document ParseSchema parses: other Avro libraries
// (goavro) refuse ZTF's defaults too.
func WithoutDefaults(raw []byte) ([]byte, error) {
	_, stripped, err := withoutDefaults(raw)
	return stripped, err
}

// withoutDefaults decodes the schema document raw, removes its defaults and
// returns it both decoded and encoded again.
func withoutDefaults(raw []byte) (doc any, stripped []byte, err error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, nil, fmt.Errorf("%w: writer schema is not JSON: %w", ErrCorrupt, err)
	}
	stripDefaults(doc)
	if stripped, err = json.Marshal(doc); err != nil {
		return nil, nil, fmt.Errorf("%w: writer schema: %w", ErrCorrupt, err)
	}
	return doc, stripped, nil
}

// stripDefaults removes every "default" attribute from a schema document.
func stripDefaults(v any) {
	switch v := v.(type) {
	case map[string]any:
		delete(v, "default")
		for _, x := range v {
			stripDefaults(x)
		}
	case []any:
		for _, x := range v {
			stripDefaults(x)
		}
	}
}

// checkZTF accepts a writer schema when its records have the shape of a
// ZTF alert: a record with a candid field and a candidate record. Brokers
// that add fields to that shape pass; other alert streams do not.
func checkZTF(s avro.Schema) error {
	rec, ok := s.(*avro.RecordSchema)
	if !ok {
		return fmt.Errorf("%w: writer schema is a %s, not a record", ErrNotZTF, s.Type())
	}
	has := map[string]bool{}
	for _, f := range rec.Fields() {
		has[f.Name()] = true
	}
	if !has["candid"] || !has["candidate"] {
		return fmt.Errorf("%w: writer schema %s has no candid and candidate fields", ErrNotZTF, rec.FullName())
	}
	return nil
}

// planFor returns the plans that decode w's records into t.
func (w *writer) planFor(t reflect.Type) (*plans, error) {
	if r, ok := w.plans.Load(t); ok {
		return r.(planResult).plans, r.(planResult).err
	}
	ps, err := plansFor(w.schema, t, w.id, w.version)
	w.plans.Store(t, planResult{ps, err})
	return ps, err
}

// plans are the ways to decode records of one writer schema into a Go
// type: whole, or only their leading fields up to the last one the type
// has a tag for.
type plans struct {
	whole plan
	// prefixSchema is the record of those leading fields, nil when they are
	// all the fields; prefix decodes it.
	prefixSchema avro.Schema
	prefix       plan
}

// leading returns the record of the leading fields of rec up to the last
// one t has a tag for, and whether that is fewer than rec's: a record is
// its fields' data one after the other, so its first fields are read as a
// record of those fields alone. When that last field is itself a record
// read into a struct (an alert's candidate), it is cut the same way:
// nothing after it is read.
func leading(rec *avro.RecordSchema, t reflect.Type) (*avro.RecordSchema, bool, error) {
	tags := map[string]reflect.Type{}
	for i := range t.NumField() {
		if tag, ok := t.Field(i).Tag.Lookup("avro"); ok {
			tags[tag] = t.Field(i).Type
		}
	}
	fields := rec.Fields()
	last := len(fields) - 1
	for last >= 0 && tags[fields[last].Name()] == nil {
		last--
	}
	if last < 0 {
		return rec, false, nil
	}
	cut := last < len(fields)-1
	fields = fields[:last+1]
	lastType := fields[last].Type()
	if ref, ok := lastType.(*avro.RefSchema); ok {
		lastType = ref.Schema()
	}
	if inner, ok := lastType.(*avro.RecordSchema); ok && tags[fields[last].Name()].Kind() == reflect.Struct {
		innerPrefix, innerCut, err := leading(inner, tags[fields[last].Name()])
		if err != nil {
			return nil, false, err
		}
		if innerCut {
			f, err := avro.NewField(fields[last].Name(), innerPrefix)
			if err != nil {
				return nil, false, err
			}
			fields = append(fields[:last:last], f)
			cut = true
		}
	}
	if !cut {
		return rec, false, nil
	}
	r, err := avro.NewRecordSchema(rec.Name(), rec.Namespace(), fields)
	return r, true, err
}

// plansFor returns the plans that decode the records of s into t.
func plansFor(s avro.Schema, t reflect.Type, id, version string) (*plans, error) {
	whole, err := planFor(s, t, id, version)
	if err != nil {
		return nil, err
	}
	ps := &plans{whole: whole}
	rec, ok := s.(*avro.RecordSchema)
	if !ok {
		return ps, nil
	}
	// A prefix that cannot be planned leaves the whole plan, which works.
	prefix, cut, err := leading(rec, t)
	if err != nil || !cut {
		return ps, nil
	}
	if ps.prefix, err = planFor(prefix, t, id, version); err != nil {
		return ps, nil
	}
	ps.prefixSchema = prefix
	return ps, nil
}
