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
	plan plan
	err  error
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
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, "", fmt.Errorf("%w: writer schema is not JSON: %w", ErrCorrupt, err)
	}
	stripDefaults(doc)
	stripped, err := json.Marshal(doc)
	if err != nil {
		return nil, "", fmt.Errorf("%w: writer schema: %w", ErrCorrupt, err)
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

// planFor returns the plan that decodes w's records into t.
func (w *writer) planFor(t reflect.Type) (plan, error) {
	if r, ok := w.plans.Load(t); ok {
		return r.(planResult).plan, r.(planResult).err
	}
	p, err := planFor(w.schema, t, w.id, w.version)
	w.plans.Store(t, planResult{p, err})
	return p, err
}
