package bqloader

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"time"

	"cloud.google.com/go/bigquery"
	"cloud.google.com/go/bigquery/storage/managedwriter/adapt"
	"cloud.google.com/go/civil"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
)

// RowEncoder turns rows as BigQuery's ValueSaver gives them
// (map[string]bigquery.Value, as bqrow.Row.Save returns) into the
// protocol-buffer rows of the Storage Write API, for one table schema.
// It is safe for concurrent use.
//
// The proto message is derived from the table's schema, so a row can only
// carry columns the table has: a key the table lacks is an error, never a
// silently dropped value. Values keep their exact type: INT64 stays an
// int64 all the way (candid reaches 3.4e18, beyond float64), BYTES stay
// bytes, DATE is days since 1970-01-01 and TIMESTAMP microseconds since
// the Unix epoch, as the API wants them.
type RowEncoder struct {
	message    protoreflect.MessageDescriptor
	descriptor *descriptorpb.DescriptorProto // self-contained, for the stream
}

// NewRowEncoder builds the proto message of schema: each column a field
// of the type the Storage Write API wants for it.
func NewRowEncoder(schema bigquery.Schema) (*RowEncoder, error) {
	ts, err := adapt.BQSchemaToStorageTableSchema(schema)
	if err != nil {
		return nil, fmt.Errorf("storage schema: %w", err)
	}
	d, err := adapt.StorageSchemaToProto2Descriptor(ts, "row")
	if err != nil {
		return nil, fmt.Errorf("proto descriptor: %w", err)
	}
	md, ok := d.(protoreflect.MessageDescriptor)
	if !ok {
		return nil, fmt.Errorf("proto descriptor: got %T, want a message", d)
	}
	dp, err := adapt.NormalizeDescriptor(md)
	if err != nil {
		return nil, fmt.Errorf("normalize descriptor: %w", err)
	}
	return &RowEncoder{message: md, descriptor: dp}, nil
}

// Descriptor returns the self-contained message descriptor a managed
// stream is opened with (managedwriter.WithSchemaDescriptor).
func (e *RowEncoder) Descriptor() *descriptorpb.DescriptorProto { return e.descriptor }

// Encode returns the wire bytes of row, an error naming the column when a
// value does not fit it.
func (e *RowEncoder) Encode(row map[string]bigquery.Value) ([]byte, error) {
	m := dynamicpb.NewMessage(e.message)
	if err := fillMessage(m, row); err != nil {
		return nil, err
	}
	return proto.Marshal(m)
}

// fillMessage sets the fields of m from row. Nil values stay unset (NULL).
func fillMessage(m protoreflect.Message, row map[string]bigquery.Value) error {
	fields := m.Descriptor().Fields()
	for name, v := range row {
		if isNull(v) {
			continue
		}
		fd := fields.ByName(protoreflect.Name(name))
		if fd == nil {
			return fmt.Errorf("column %s: not in the table schema", name)
		}
		if err := setField(m, fd, v); err != nil {
			return fmt.Errorf("column %s: %w", name, err)
		}
	}
	return nil
}

func setField(m protoreflect.Message, fd protoreflect.FieldDescriptor, v any) error {
	if !fd.IsList() {
		if fd.Kind() == protoreflect.MessageKind {
			rec, ok := v.(map[string]bigquery.Value)
			if !ok {
				return fmt.Errorf("want a record (map[string]bigquery.Value), got %T", v)
			}
			return fillMessage(m.Mutable(fd).Message(), rec)
		}
		pv, err := scalar(fd, v)
		if err != nil {
			return err
		}
		m.Set(fd, pv)
		return nil
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		return fmt.Errorf("want a list for a REPEATED column, got %T", v)
	}
	list := m.Mutable(fd).List()
	for i := range rv.Len() {
		ev := rv.Index(i).Interface()
		if isNull(ev) {
			return fmt.Errorf("element %d: REPEATED columns cannot hold NULL", i)
		}
		if fd.Kind() == protoreflect.MessageKind {
			rec, ok := ev.(map[string]bigquery.Value)
			if !ok {
				return fmt.Errorf("element %d: want a record, got %T", i, ev)
			}
			el := list.NewElement()
			if err := fillMessage(el.Message(), rec); err != nil {
				return fmt.Errorf("element %d: %w", i, err)
			}
			list.Append(el)
			continue
		}
		pv, err := scalar(fd, ev)
		if err != nil {
			return fmt.Errorf("element %d: %w", i, err)
		}
		list.Append(pv)
	}
	return nil
}

// unixEpoch is day 0 of the Storage Write API's DATE.
var unixEpoch = civil.Date{Year: 1970, Month: 1, Day: 1}

// scalar converts v to the proto value of a non-message field. The proto
// kinds are those adapt gives BigQuery types: INT64/TIMESTAMP int64,
// DATE int32, FLOAT64 double, BOOL bool, STRING string, BYTES bytes.
func scalar(fd protoreflect.FieldDescriptor, v any) (protoreflect.Value, error) {
	v = deref(v)
	switch fd.Kind() {
	case protoreflect.Int64Kind:
		switch x := v.(type) {
		case time.Time: // TIMESTAMP
			return protoreflect.ValueOfInt64(x.UnixMicro()), nil
		default:
			n, err := toInt64(v)
			return protoreflect.ValueOfInt64(n), err
		}
	case protoreflect.Int32Kind: // DATE
		var d civil.Date
		switch x := v.(type) {
		case civil.Date:
			d = x
		case time.Time:
			d = civil.DateOf(x.UTC())
		default:
			return protoreflect.Value{}, fmt.Errorf("want a date, got %T", v)
		}
		days := int64(d.DaysSince(unixEpoch))
		if days < math.MinInt32 || days > math.MaxInt32 {
			return protoreflect.Value{}, fmt.Errorf("date %s is beyond what a DATE can hold", d)
		}
		return protoreflect.ValueOfInt32(int32(days)), nil
	case protoreflect.DoubleKind:
		switch x := v.(type) {
		case float64:
			return protoreflect.ValueOfFloat64(x), nil
		case float32:
			return protoreflect.ValueOfFloat64(float64(x)), nil
		default:
			n, err := toInt64(v)
			return protoreflect.ValueOfFloat64(float64(n)), err
		}
	case protoreflect.BoolKind:
		b, ok := v.(bool)
		if !ok {
			return protoreflect.Value{}, fmt.Errorf("want a bool, got %T", v)
		}
		return protoreflect.ValueOfBool(b), nil
	case protoreflect.StringKind:
		s, ok := v.(string)
		if !ok {
			return protoreflect.Value{}, fmt.Errorf("want a string, got %T", v)
		}
		return protoreflect.ValueOfString(s), nil
	case protoreflect.BytesKind:
		b, ok := v.([]byte)
		if !ok {
			return protoreflect.Value{}, fmt.Errorf("want bytes, got %T", v)
		}
		return protoreflect.ValueOfBytes(b), nil
	}
	return protoreflect.Value{}, fmt.Errorf("unsupported proto kind %s", fd.Kind())
}

var errNotInteger = errors.New("not an integer")

func toInt64(v any) (int64, error) {
	switch x := v.(type) {
	case int64:
		return x, nil
	case int:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case int16:
		return int64(x), nil
	case int8:
		return int64(x), nil
	case uint32:
		return int64(x), nil
	case uint16:
		return int64(x), nil
	case uint8:
		return int64(x), nil
	case string: // how bqrow sends integers, exact
		return strconv.ParseInt(x, 10, 64)
	}
	return 0, fmt.Errorf("%w: %T", errNotInteger, v)
}

// isNull reports a nil value, including a typed nil pointer.
func isNull(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}

// deref follows a non-nil pointer to its value.
func deref(v any) any {
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		return rv.Elem().Interface()
	}
	return v
}
