package bqrow

import (
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"cloud.google.com/go/bigquery"

	"github.com/ztfbridge/ztfbridge/internal/core/alert"
)

// column is a column of the table derived from a field of the alert
// structs: its schema and how to read its value from the Go field.
type column struct {
	name     string
	desc     string
	typ      bigquery.FieldType
	repeated bool
	cutout   bool     // a cutout column, only with Options.Cutouts
	sub      []column // the fields of a RECORD
	index    int      // of the Go field in its struct
	// get returns the value of the Go field v, false for NULL.
	get func(v reflect.Value) (bigquery.Value, bool)
}

func (c column) field() *bigquery.FieldSchema {
	f := &bigquery.FieldSchema{Name: c.name, Description: c.desc, Type: c.typ, Repeated: c.repeated}
	for _, s := range c.sub {
		f.Schema = append(f.Schema, s.field())
	}
	return f
}

// The columns of the alert struct, computed once from its definition.
var (
	allColumns     = columnsOf(reflect.TypeFor[alert.Alert]())
	noCutoutColumn = slices.DeleteFunc(slices.Clone(allColumns), func(c column) bool { return c.cutout })
)

// alertColumns returns the columns of the alert record for o.
func alertColumns(o Options) []column {
	if o.Cutouts {
		return allColumns
	}
	return noCutoutColumn
}

var (
	cutoutType   = reflect.TypeFor[*alert.Cutout]()
	fieldSetType = reflect.TypeFor[alert.FieldSet]()
)

// absentIndex returns the index of the alert.FieldSet field of struct t
// (the fields the packet gave no value), -1 when t has none.
func absentIndex(t reflect.Type) int {
	for i := range t.NumField() {
		if t.Field(i).Type == fieldSetType {
			return i
		}
	}
	return -1
}

// absentOf returns the FieldSet of struct v at index i, empty when i < 0.
func absentOf(v reflect.Value, i int) alert.FieldSet {
	if i < 0 {
		return alert.FieldSet{}
	}
	f := v.Field(i)
	return alert.FieldSet{f.Index(0).Uint(), f.Index(1).Uint()}
}

// columnsOf returns the columns of the fields of struct t that have an
// avro tag, in field order.
func columnsOf(t reflect.Type) []column {
	var cols []column
	for i := range t.NumField() {
		f := t.Field(i)
		tag, ok := f.Tag.Lookup("avro")
		switch {
		case !ok:
			continue
		case tag == "-":
			if c, ok := derived[f.Name]; ok {
				c.index = i
				cols = append(cols, c)
			}
			continue
		case f.Type == cutoutType:
			cols = append(cols, column{
				name: snake(tag), desc: f.Tag.Get("doc"), typ: bigquery.BytesFieldType,
				cutout: true, index: i, get: cutoutGet,
			})
			continue
		}
		c := column{name: tag, desc: f.Tag.Get("doc"), index: i}
		c.typ, c.repeated, c.sub, c.get = kindOf(f.Type)
		if c.get == nil {
			panic("bqrow: no BigQuery type for " + t.Name() + "." + f.Name + " " + f.Type.String())
		}
		cols = append(cols, c)
	}
	return cols
}

func cutoutGet(v reflect.Value) (bigquery.Value, bool) {
	c := v.Interface().(*alert.Cutout)
	if c == nil || c.StampData == nil {
		return nil, false
	}
	return c.StampData, true
}

// kindOf maps a Go field type to its BigQuery type and value reader.
func kindOf(t reflect.Type) (typ bigquery.FieldType, repeated bool, sub []column, get func(reflect.Value) (bigquery.Value, bool)) {
	switch t.Kind() {
	case reflect.Pointer:
		typ, repeated, sub, get = kindOf(t.Elem())
		if get == nil {
			return
		}
		elem := get
		return typ, repeated, sub, func(v reflect.Value) (bigquery.Value, bool) {
			if v.IsNil() {
				return nil, false
			}
			return elem(v.Elem())
		}
	case reflect.Int32, reflect.Int64:
		return bigquery.IntegerFieldType, false, nil, func(v reflect.Value) (bigquery.Value, bool) {
			return v.Int(), true
		}
	case reflect.Float32:
		return bigquery.FloatFieldType, false, nil, func(v reflect.Value) (bigquery.Value, bool) {
			return float32Value(float32(v.Float())), true
		}
	case reflect.Float64:
		return bigquery.FloatFieldType, false, nil, func(v reflect.Value) (bigquery.Value, bool) {
			return v.Float(), true
		}
	case reflect.String:
		return bigquery.StringFieldType, false, nil, func(v reflect.Value) (bigquery.Value, bool) {
			return v.String(), true
		}
	case reflect.Bool:
		return bigquery.BooleanFieldType, false, nil, func(v reflect.Value) (bigquery.Value, bool) {
			return v.Bool(), true
		}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return bigquery.BytesFieldType, false, nil, func(v reflect.Value) (bigquery.Value, bool) {
				return v.Bytes(), !v.IsNil()
			}
		}
		if t.Elem().Kind() != reflect.Struct {
			return
		}
		sub = columnsOf(t.Elem())
		absent := absentIndex(t.Elem())
		return bigquery.RecordFieldType, true, sub, func(v reflect.Value) (bigquery.Value, bool) {
			if v.Len() == 0 {
				return nil, false
			}
			out := make([]bigquery.Value, v.Len())
			for i := range out {
				out[i] = record(sub, v.Index(i), absent)
			}
			return out, true
		}
	case reflect.Struct:
		sub = columnsOf(t)
		absent := absentIndex(t)
		return bigquery.RecordFieldType, false, sub, func(v reflect.Value) (bigquery.Value, bool) {
			return record(sub, v, absent), true
		}
	}
	return
}

// record returns the values of struct v as a nested row, leaving out the
// NULL columns: nil pointers, and the fields in v's FieldSet at index
// absent (the packet gave them no value).
func record(cols []column, v reflect.Value, absent int) map[string]bigquery.Value {
	m := make(map[string]bigquery.Value, len(cols))
	nulls := absentOf(v, absent)
	for _, c := range cols {
		if nulls.Has(c.index) {
			continue
		}
		if x, ok := c.get(v.Field(c.index)); ok {
			m[c.name] = x
		}
	}
	return m
}

// float32Value widens a float to the double that prints like it: ZTF's
// 18.5432 (a float) loads as 18.5432, not 18.543199539184570. NaN and
// the infinities stay what they are.
func float32Value(f float32) float64 {
	if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
		return float64(f)
	}
	var buf [32]byte
	d, err := strconv.ParseFloat(string(strconv.AppendFloat(buf[:0], float64(f), 'g', -1, 32)), 64)
	if err != nil {
		return float64(f)
	}
	return d
}

// snake turns cutoutScience into cutout_science.
func snake(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsUpper(r) {
			b.WriteByte('_')
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}
