package alert

import (
	"fmt"
	"reflect"
	"strconv"

	"github.com/hamba/avro/v2"
)

// A plan says how to decode records of one writer schema into a Go type.
//
// hamba decodes a record into a struct only when every field it fills has
// exactly the Go type of the writer's field: a union with null needs a
// pointer (or slice), a plain value needs a plain value, and int, long,
// float and double need int32, int64, float32 and float64. ZTF's own
// schemas agree with the Go definition; a few writers do not (Fink's
// broker schemas make every field nullable, pre-survey simulations wrote
// isdiffpos as an int). For those a plan decodes into a "shadow" struct
// type built with reflect.StructOf that has the writer's shapes, then
// converts it into the wanted type: null becomes the zero value (and, in
// a field held by value, a member of the struct's Absent set), numbers
// widen, an int becomes its decimal string. Fields that cannot be
// converted are left out and stay zero.
//
// A plan also knows what the shapes do not show: which fields of the
// wanted structs the writer lacks (mark puts them in each decoded
// record's Absent set) and which writer fields have no place in the
// wanted type (schema.Unmapped).
type plan struct {
	typ     reflect.Type // what hamba decodes into
	convert converter    // nil when typ is the wanted type itself
	mark    marker       // nil when the writer has every field held by value
	schema  *Schema      // the writer schema, as seen from the wanted type
}

// marker adds to a decoded value the fields its writer lacks.
type marker func(v reflect.Value)

// converter copies a decoded shadow value src into dst of the wanted type.
type converter func(dst, src reflect.Value)

// planFor returns the plan that decodes schema s into want. id and
// version describe s in the plan's Schema.
func planFor(s avro.Schema, want reflect.Type, id, version string) (plan, error) {
	typ, conv := shape(s, want)
	if typ == nil {
		return plan{}, fmt.Errorf("writer schema %s cannot be read as %s", s.Type(), want)
	}
	mark, unmapped := survey(s, want, "")
	return plan{typ: typ, convert: conv, mark: mark,
		schema: &Schema{ID: id, Version: version, Unmapped: unmapped}}, nil
}

// shape returns the Go type that hamba can decode s into and that converts
// to want, and the converter (nil when the type is want itself). It returns
// a nil type when s cannot be read as want.
func shape(s avro.Schema, want reflect.Type) (reflect.Type, converter) {
	if ref, ok := s.(*avro.RefSchema); ok {
		s = ref.Schema()
	}
	if u, ok := s.(*avro.UnionSchema); ok {
		return unionShape(u, want)
	}
	if want.Kind() == reflect.Pointer {
		// A writer that never writes null, read into an optional field.
		typ, conv := shape(s, want.Elem())
		if typ == nil {
			return nil, nil
		}
		return typ, func(dst, src reflect.Value) {
			p := reflect.New(want.Elem())
			assign(conv, p.Elem(), src)
			dst.Set(p)
		}
	}
	switch s := s.(type) {
	case *avro.RecordSchema:
		return recordShape(s, want)
	case *avro.ArraySchema:
		return arrayShape(s, want)
	case *avro.PrimitiveSchema:
		return primitiveShape(s, want)
	}
	return nil, nil
}

// unionShape handles the only unions ZTF writes: null and one other type,
// in either order. Other unions cannot be read into a typed field.
func unionShape(u *avro.UnionSchema, want reflect.Type) (reflect.Type, converter) {
	if !u.Nullable() {
		return nil, nil
	}
	var inner avro.Schema
	for _, t := range u.Types() {
		if t.Type() != avro.Null {
			inner = t
		}
	}
	switch want.Kind() {
	case reflect.Pointer:
		return elemShape(inner, want, reflect.PointerTo, func(conv converter, dst, src reflect.Value) {
			p := reflect.New(want.Elem())
			conv(p.Elem(), src.Elem())
			dst.Set(p)
		})
	case reflect.Slice:
		// hamba reads a nullable array into a slice: null is a nil slice.
		return shape(inner, want)
	}
	// A writer that may write null, read into a value field: null is zero.
	typ, conv := shape(inner, want)
	if typ == nil {
		return nil, nil
	}
	return reflect.PointerTo(typ), func(dst, src reflect.Value) {
		if !src.IsNil() {
			assign(conv, dst, src.Elem())
		}
	}
}

// recordShape matches the writer's fields to want's fields by their avro
// tags. Writer fields that want lacks are skipped by hamba; want's fields
// that the writer lacks stay zero.
func recordShape(s *avro.RecordSchema, want reflect.Type) (reflect.Type, converter) {
	if want.Kind() != reflect.Struct {
		return nil, nil
	}
	byName := make(map[string]int, want.NumField())
	for i := range want.NumField() {
		if tag, ok := want.Field(i).Tag.Lookup("avro"); ok && tag != "-" {
			byName[tag] = i
		}
	}
	type fieldCopy struct {
		src, dst int
		conv     converter
		nullable bool // null in the writer, a value in want: null is Absent
	}
	var (
		fields []reflect.StructField
		copies []fieldCopy
		same   = true
	)
	for _, f := range s.Fields() {
		i, ok := byName[f.Name()]
		if !ok {
			continue
		}
		wf := want.Field(i)
		typ, conv := shape(f.Type(), wf.Type)
		if typ == nil {
			same = false // leave the field out: hamba must skip it
			continue
		}
		if conv != nil {
			same = false
		}
		nullable := typ.Kind() == reflect.Pointer && wf.Type.Kind() != reflect.Pointer
		copies = append(copies, fieldCopy{src: len(fields), dst: i, conv: conv, nullable: nullable})
		fields = append(fields, reflect.StructField{Name: wf.Name, Type: typ, Tag: wf.Tag})
	}
	if same {
		return want, nil
	}
	absent := absentField(want)
	return reflect.StructOf(fields), func(dst, src reflect.Value) {
		for _, c := range copies {
			v := src.Field(c.src)
			if c.nullable && v.IsNil() && absent >= 0 {
				dst.Field(absent).Addr().Interface().(*FieldSet).Add(c.dst)
				continue
			}
			assign(c.conv, dst.Field(c.dst), v)
		}
	}
}

var fieldSetType = reflect.TypeFor[FieldSet]()

// absentField returns the index of the Absent FieldSet of struct t, -1
// when t has none.
func absentField(t reflect.Type) int {
	if f, ok := t.FieldByName("Absent"); ok && f.Type == fieldSetType && len(f.Index) == 1 {
		return f.Index[0]
	}
	return -1
}

// survey walks s and want together as shape does and returns what the
// shapes leave unsaid: the marker that puts the fields held by value that
// the writer lacks (or has in a type shape cannot convert) into the Absent
// set of each decoded struct, and the writer fields that have no place in
// want, as dotted paths below prefix.
func survey(s avro.Schema, want reflect.Type, prefix string) (marker, []string) {
	if ref, ok := s.(*avro.RefSchema); ok {
		s = ref.Schema()
	}
	if u, ok := s.(*avro.UnionSchema); ok && u.Nullable() {
		for _, t := range u.Types() {
			if t.Type() != avro.Null {
				s = t
			}
		}
	}
	switch {
	case want.Kind() == reflect.Pointer:
		mark, unmapped := survey(s, want.Elem(), prefix)
		if mark == nil {
			return nil, unmapped
		}
		return func(v reflect.Value) {
			if !v.IsNil() {
				mark(v.Elem())
			}
		}, unmapped
	case want.Kind() == reflect.Slice && s.Type() == avro.Array:
		mark, unmapped := survey(s.(*avro.ArraySchema).Items(), want.Elem(), prefix)
		if mark == nil {
			return nil, unmapped
		}
		return func(v reflect.Value) {
			for i := range v.Len() {
				mark(v.Index(i))
			}
		}, unmapped
	case want.Kind() == reflect.Struct && s.Type() == avro.Record:
		return surveyRecord(s.(*avro.RecordSchema), want, prefix)
	}
	return nil, nil
}

// surveyRecord is survey for a record read into a struct.
func surveyRecord(s *avro.RecordSchema, want reflect.Type, prefix string) (marker, []string) {
	byName := make(map[string]int, want.NumField())
	for i := range want.NumField() {
		if tag, ok := want.Field(i).Tag.Lookup("avro"); ok && tag != "-" {
			byName[tag] = i
		}
	}
	type sub struct {
		index int
		mark  marker
	}
	var (
		unmapped []string
		subs     []sub
		has      = make(map[int]bool, len(s.Fields()))
	)
	for _, f := range s.Fields() {
		i, ok := byName[f.Name()]
		if ok {
			typ, _ := shape(f.Type(), want.Field(i).Type)
			ok = typ != nil
		}
		if !ok {
			unmapped = append(unmapped, prefix+f.Name())
			continue
		}
		has[i] = true
		mark, u := survey(f.Type(), want.Field(i).Type, prefix+f.Name()+".")
		unmapped = append(unmapped, u...)
		if mark != nil {
			subs = append(subs, sub{i, mark})
		}
	}
	var lacks FieldSet
	absent := absentField(want)
	if absent >= 0 {
		for _, i := range byName {
			if k := want.Field(i).Type.Kind(); !has[i] && k != reflect.Pointer && k != reflect.Slice {
				lacks.Add(i)
			}
		}
	}
	if lacks == (FieldSet{}) && len(subs) == 0 {
		return nil, unmapped
	}
	return func(v reflect.Value) {
		if absent >= 0 {
			v.Field(absent).Addr().Interface().(*FieldSet).union(lacks)
		}
		for _, s := range subs {
			s.mark(v.Field(s.index))
		}
	}, unmapped
}

func arrayShape(s *avro.ArraySchema, want reflect.Type) (reflect.Type, converter) {
	if want.Kind() != reflect.Slice || want.Elem().Kind() == reflect.Uint8 {
		return nil, nil
	}
	return elemShape(s.Items(), want, reflect.SliceOf, func(conv converter, dst, src reflect.Value) {
		out := reflect.MakeSlice(want, src.Len(), src.Len())
		for i := range src.Len() {
			conv(out.Index(i), src.Index(i))
		}
		dst.Set(out)
	})
}

// elemShape is the shape of want, a pointer or slice type whose elements s
// describes: want itself when its elements need no conversion, else of the
// elements' shape (reflect.PointerTo, reflect.SliceOf), with a converter
// that leaves nil as it is and converts the rest with convert, given the
// elements' converter.
func elemShape(s avro.Schema, want reflect.Type, of func(reflect.Type) reflect.Type, convert func(conv converter, dst, src reflect.Value)) (reflect.Type, converter) {
	typ, conv := shape(s, want.Elem())
	if typ == nil {
		return nil, nil
	}
	if conv == nil {
		return want, nil
	}
	return of(typ), func(dst, src reflect.Value) {
		if !src.IsNil() {
			convert(conv, dst, src)
		}
	}
}

// goTypes are the Go types hamba decodes each primitive into.
var goTypes = map[avro.Type]reflect.Type{
	avro.Boolean: reflect.TypeFor[bool](),
	avro.Int:     reflect.TypeFor[int32](),
	avro.Long:    reflect.TypeFor[int64](),
	avro.Float:   reflect.TypeFor[float32](),
	avro.Double:  reflect.TypeFor[float64](),
	avro.String:  reflect.TypeFor[string](),
	avro.Bytes:   reflect.TypeFor[[]byte](),
}

func primitiveShape(s *avro.PrimitiveSchema, want reflect.Type) (reflect.Type, converter) {
	typ, ok := goTypes[s.Type()]
	if !ok {
		return nil, nil
	}
	if s.Logical() != nil && s.Type() != avro.String && s.Type() != avro.Bytes {
		// hamba maps logical types (timestamps, dates) to time types.
		return nil, nil
	}
	switch {
	case typ == want:
		return want, nil
	case isInt(typ.Kind()) && isInt(want.Kind()) && want.Size() >= typ.Size(),
		isFloat(typ.Kind()) && isFloat(want.Kind()) && want.Size() >= typ.Size():
		// int to long, float to double: the promotions Avro allows.
		return typ, func(dst, src reflect.Value) { dst.Set(src.Convert(want)) }
	case isInt(typ.Kind()) && want.Kind() == reflect.String:
		return typ, func(dst, src reflect.Value) { dst.SetString(strconv.FormatInt(src.Int(), 10)) }
	}
	return nil, nil
}

func isInt(k reflect.Kind) bool   { return k == reflect.Int32 || k == reflect.Int64 }
func isFloat(k reflect.Kind) bool { return k == reflect.Float32 || k == reflect.Float64 }

// assign sets dst from src with conv, or directly when conv is nil.
func assign(conv converter, dst, src reflect.Value) {
	if conv == nil {
		dst.Set(src)
		return
	}
	conv(dst, src)
}
