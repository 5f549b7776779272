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
// converts it into the wanted type: null becomes the zero value, numbers
// widen, an int becomes its decimal string. Fields that cannot be
// converted are left out and stay zero.
type plan struct {
	typ     reflect.Type // what hamba decodes into
	convert converter    // nil when typ is the wanted type itself
}

// converter copies a decoded shadow value src into dst of the wanted type.
type converter func(dst, src reflect.Value)

// planFor returns the plan that decodes schema s into want.
func planFor(s avro.Schema, want reflect.Type) (plan, error) {
	typ, conv := shape(s, want)
	if typ == nil {
		return plan{}, fmt.Errorf("writer schema %s cannot be read as %s", s.Type(), want)
	}
	return plan{typ: typ, convert: conv}, nil
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
		typ, conv := shape(inner, want.Elem())
		if typ == nil {
			return nil, nil
		}
		if conv == nil {
			return want, nil
		}
		return reflect.PointerTo(typ), func(dst, src reflect.Value) {
			if src.IsNil() {
				return
			}
			p := reflect.New(want.Elem())
			conv(p.Elem(), src.Elem())
			dst.Set(p)
		}
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
		copies = append(copies, fieldCopy{src: len(fields), dst: i, conv: conv})
		fields = append(fields, reflect.StructField{Name: wf.Name, Type: typ, Tag: wf.Tag})
	}
	if same {
		return want, nil
	}
	return reflect.StructOf(fields), func(dst, src reflect.Value) {
		for _, c := range copies {
			assign(c.conv, dst.Field(c.dst), src.Field(c.src))
		}
	}
}

func arrayShape(s *avro.ArraySchema, want reflect.Type) (reflect.Type, converter) {
	if want.Kind() != reflect.Slice || want.Elem().Kind() == reflect.Uint8 {
		return nil, nil
	}
	typ, conv := shape(s.Items(), want.Elem())
	if typ == nil {
		return nil, nil
	}
	if conv == nil {
		return want, nil
	}
	return reflect.SliceOf(typ), func(dst, src reflect.Value) {
		if src.IsNil() {
			return
		}
		out := reflect.MakeSlice(want, src.Len(), src.Len())
		for i := range src.Len() {
			conv(out.Index(i), src.Index(i))
		}
		dst.Set(out)
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
