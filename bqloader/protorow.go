package bqloader

import (
	"fmt"
	"math"
	"time"

	"cloud.google.com/go/bigquery"
	"cloud.google.com/go/bigquery/storage/managedwriter/adapt"
	"cloud.google.com/go/civil"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
)

// RowEncoder turns rows of typed values, as bqrow.Row.Values gives them,
// into the protocol-buffer rows of the Storage Write API, for one table
// schema. It is safe for concurrent use.
//
// The proto message is derived from the table's schema, so a row can only
// carry columns the table has: a key the table lacks is an error, never a
// silently dropped value. Each value is written as the wire type of its
// column, straight from its Go type, with no intermediate form: INT64
// takes an int64 (candid reaches 3.4e18, beyond float64, and stays exact),
// FLOAT64 a float64 (NaN and ±Inf included: the API carries them), STRING
// a string, BYTES a []byte, BOOL a bool, DATE a civil.Date (sent as days
// since 1970-01-01), TIMESTAMP a time.Time (microseconds since the Unix
// epoch), RECORD a map[string]bigquery.Value and REPEATED a
// []bigquery.Value. A nil value is NULL: the field is not sent.
type RowEncoder struct {
	message    protoreflect.MessageDescriptor
	descriptor *descriptorpb.DescriptorProto // self-contained, for the stream
	fields     *protoFields
}

// protoFields are the fields of one proto message, in field order and by
// column name.
type protoFields struct {
	list   []*protoField
	byName map[string]*protoField
}

// protoField is one column of a message: its proto number and kind.
type protoField struct {
	name     string
	num      protowire.Number
	kind     protoreflect.Kind
	repeated bool
	sub      *protoFields // the fields of a RECORD
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
	return &RowEncoder{message: md, descriptor: dp, fields: fieldsOf(md)}, nil
}

// fieldsOf returns the fields of the message md, and of its records.
func fieldsOf(md protoreflect.MessageDescriptor) *protoFields {
	fds := md.Fields()
	fs := &protoFields{byName: make(map[string]*protoField, fds.Len())}
	for i := range fds.Len() {
		fd := fds.Get(i)
		f := &protoField{name: string(fd.Name()), num: fd.Number(), kind: fd.Kind(), repeated: fd.IsList()}
		if fd.Kind() == protoreflect.MessageKind {
			f.sub = fieldsOf(fd.Message())
		}
		fs.list = append(fs.list, f)
		fs.byName[f.name] = f
	}
	return fs
}

// Descriptor returns the self-contained message descriptor a managed
// stream is opened with (managedwriter.WithSchemaDescriptor).
func (e *RowEncoder) Descriptor() *descriptorpb.DescriptorProto { return e.descriptor }

// Encode returns the wire bytes of row, an error naming the column when a
// value does not fit it. The fields are written in field order: the same
// row always gives the same bytes.
func (e *RowEncoder) Encode(row map[string]bigquery.Value) ([]byte, error) {
	return appendRecord(nil, e.fields, row)
}

// appendRecord appends the fields of row, a message of fields fs.
func appendRecord(b []byte, fs *protoFields, row map[string]bigquery.Value) ([]byte, error) {
	known := 0
	for _, f := range fs.list {
		v, ok := row[f.name]
		if !ok {
			continue
		}
		known++
		if v == nil {
			continue
		}
		var err error
		if b, err = f.append(b, v); err != nil {
			return nil, fmt.Errorf("column %s: %w", f.name, err)
		}
	}
	if known < len(row) {
		for name := range row {
			if fs.byName[name] == nil {
				return nil, fmt.Errorf("column %s: not in the table schema", name)
			}
		}
	}
	return b, nil
}

// append appends v, the non-nil value of f.
func (f *protoField) append(b []byte, v bigquery.Value) ([]byte, error) {
	if !f.repeated {
		return f.appendOne(b, v)
	}
	list, ok := v.([]bigquery.Value)
	if !ok {
		return nil, fmt.Errorf("want a list ([]bigquery.Value) for a REPEATED column, got %T", v)
	}
	for i, e := range list {
		if e == nil {
			return nil, fmt.Errorf("element %d: REPEATED columns cannot hold NULL", i)
		}
		var err error
		if b, err = f.appendOne(b, e); err != nil {
			return nil, fmt.Errorf("element %d: %w", i, err)
		}
	}
	return b, nil
}

// unixEpoch is day 0 of the Storage Write API's DATE.
var unixEpoch = civil.Date{Year: 1970, Month: 1, Day: 1}

// appendOne appends one value of f. The proto kinds are those adapt gives
// BigQuery types: INT64 and TIMESTAMP int64, DATE int32, FLOAT64 double,
// BOOL bool, STRING string, BYTES bytes, RECORD a message.
func (f *protoField) appendOne(b []byte, v bigquery.Value) ([]byte, error) {
	switch f.kind {
	case protoreflect.MessageKind:
		rec, ok := v.(map[string]bigquery.Value)
		if !ok {
			return nil, fmt.Errorf("want a record (map[string]bigquery.Value), got %T", v)
		}
		sub, err := appendRecord(nil, f.sub, rec)
		if err != nil {
			return nil, err
		}
		return protowire.AppendBytes(protowire.AppendTag(b, f.num, protowire.BytesType), sub), nil
	case protoreflect.Int64Kind:
		var n int64
		switch x := v.(type) {
		case int64:
			n = x
		case time.Time: // TIMESTAMP
			n = x.UnixMicro()
		default:
			return nil, fmt.Errorf("want an int64 or a time.Time, got %T", v)
		}
		return protowire.AppendVarint(protowire.AppendTag(b, f.num, protowire.VarintType), uint64(n)), nil
	case protoreflect.Int32Kind: // DATE
		d, ok := v.(civil.Date)
		if !ok {
			return nil, fmt.Errorf("want a date (civil.Date), got %T", v)
		}
		days := int64(d.DaysSince(unixEpoch))
		if days < math.MinInt32 || days > math.MaxInt32 {
			return nil, fmt.Errorf("date %s is beyond what a DATE can hold", d)
		}
		return protowire.AppendVarint(protowire.AppendTag(b, f.num, protowire.VarintType), uint64(days)), nil
	case protoreflect.DoubleKind:
		x, ok := v.(float64)
		if !ok {
			return nil, fmt.Errorf("want a float64, got %T", v)
		}
		return protowire.AppendFixed64(protowire.AppendTag(b, f.num, protowire.Fixed64Type), math.Float64bits(x)), nil
	case protoreflect.BoolKind:
		x, ok := v.(bool)
		if !ok {
			return nil, fmt.Errorf("want a bool, got %T", v)
		}
		return protowire.AppendVarint(protowire.AppendTag(b, f.num, protowire.VarintType), protowire.EncodeBool(x)), nil
	case protoreflect.StringKind:
		x, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("want a string, got %T", v)
		}
		return protowire.AppendString(protowire.AppendTag(b, f.num, protowire.BytesType), x), nil
	case protoreflect.BytesKind:
		x, ok := v.([]byte)
		if !ok {
			return nil, fmt.Errorf("want bytes, got %T", v)
		}
		return protowire.AppendBytes(protowire.AppendTag(b, f.num, protowire.BytesType), x), nil
	}
	return nil, fmt.Errorf("unsupported proto kind %s", f.kind)
}
