package alert

import (
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sync"
	"sync/atomic"

	"github.com/golang/snappy"
	"github.com/hamba/avro/v2"
	"github.com/hamba/avro/v2/ocf"

	"github.com/ztfbridge/ztfbridge/internal/core/night"
)

// Errors that say what is wrong with a packet that does not decode. Decode
// wraps one of them with the details; test with errors.Is.
var (
	// ErrNotContainer: the bytes are not an Avro object container file
	// (empty, random, or a bare Avro datum without its schema).
	ErrNotContainer = errors.New("not an Avro object container file")
	// ErrCorrupt: a container whose header, schema, blocks or records are
	// damaged or truncated.
	ErrCorrupt = errors.New("corrupt Avro container")
	// ErrNotZTF: a well-formed container whose records are not ZTF alerts.
	ErrNotZTF = errors.New("not a ZTF alert")
)

// Limits on what one packet may make the decoder allocate. Real packets
// are below 1 MB with at most a few hundred history entries.
const (
	maxBytesLen    = 16 << 20 // longest string or bytes value
	maxArrayLen    = 1 << 14  // most entries in one array
	maxRecords     = 1 << 16  // most records in one block
	maxBlockLen    = 64 << 20 // longest block after decompression
	maxSchemas     = 64       // distinct writer schemas kept parsed
	schemaKey      = "avro.schema"
	codecKey       = "avro.codec"
	containerMagic = "Obj\x01"
)

// Decoder decodes ZTF alert packets. It is safe for concurrent use. It
// parses each distinct writer schema once (keyed by the schema bytes in
// the container header) and keeps up to 64 of them.
type Decoder struct {
	api avro.API

	mu      sync.RWMutex
	schemas map[string]*writer // by the schema bytes of the header
	parses  atomic.Int64
}

// NewDecoder returns a Decoder with an empty schema cache.
func NewDecoder() *Decoder {
	return &Decoder{
		api: avro.Config{
			MaxByteSliceSize:  maxBytesLen,
			MaxSliceAllocSize: maxArrayLen,
		}.Freeze(),
		schemas: make(map[string]*writer),
	}
}

// SchemaParses returns how many writer schemas d has parsed so far: the
// number of distinct schemas it has met, unless more than 64 came.
func (d *Decoder) SchemaParses() int64 { return d.parses.Load() }

// Decode decodes every record of one Avro object container file, in
// order. It returns an error wrapping ErrNotContainer, ErrCorrupt or
// ErrNotZTF when the packet cannot be decoded whole; it never returns
// some alerts and an error. The alerts do not refer to b: the caller may
// reuse it.
func (d *Decoder) Decode(b []byte) ([]*Alert, error) {
	alerts, p, err := decodeRecords[Alert](d, b, false)
	if err != nil {
		return nil, err
	}
	for _, a := range alerts {
		a.SchemaVersion = p.schema.Version
		a.Writer = p.schema
		a.Night = nightOf(a.Candidate.NID, a.Candidate.JD)
	}
	return alerts, nil
}

// Summary is what the pipeline reads from a packet without decoding it
// whole: the ids, versions, night and position of an alert.
type Summary struct {
	Candid int64
	// CandidateCandid is candidate.candid, which ZTF writes equal to
	// Candid.
	CandidateCandid int64
	ObjectID        string
	SchemaVsn       string
	SchemaVersion   string
	Night           night.Night
	JD, RA, Dec     float64
}

// summaryRecord is the part of an alert record that Summarize decodes.
type summaryRecord struct {
	SchemaVsn string `avro:"schemavsn"`
	ObjectID  string `avro:"objectId"`
	Candid    int64  `avro:"candid"`
	Candidate struct {
		JD     float64 `avro:"jd"`
		RA     float64 `avro:"ra"`
		Dec    float64 `avro:"dec"`
		NID    *int32  `avro:"nid"`
		Candid int64   `avro:"candid"`
	} `avro:"candidate"`
}

// Topic returns the ZTF Kafka topic of the alert's night.
func (s Summary) Topic() string { return s.Night.Topic() }

// Summarize is Decode for callers that need only the Summary of each
// alert, such as message attributes.
//
// Of a block that holds one record (a ZTF packet is one such block),
// Summarize reads only the record's leading fields, up to the last one it
// needs, whatever their order in the writer schema (schemavsn, objectId,
// candid and candidate come first in ZTF's schemas; the histories and
// cutouts after them are not read), and of that last field, a record (the
// candidate), its leading fields likewise (up to candidate.dec). Blocks of several records are read
// whole. The container's framing is checked as Decode checks it: the
// header, then for every block its record count, its byte length and the
// header's sync marker after it, and nothing after the last block, so a
// truncated or mis-framed packet is refused. What Summarize does not
// detect, and Decode does, is damage after those leading fields inside a
// well-framed block: garbage in the histories or cutouts, or bytes left
// over after the record.
func (d *Decoder) Summarize(b []byte) ([]Summary, error) {
	recs, p, err := decodeRecords[summaryRecord](d, b, true)
	if err != nil {
		return nil, err
	}
	out := make([]Summary, len(recs))
	for i, r := range recs {
		out[i] = Summary{
			Candid:          r.Candid,
			CandidateCandid: r.Candidate.Candid,
			ObjectID:        r.ObjectID,
			SchemaVsn:       r.SchemaVsn,
			SchemaVersion:   p.schema.Version,
			Night:           nightOf(r.Candidate.NID, r.Candidate.JD),
			JD:              r.Candidate.JD,
			RA:              r.Candidate.RA,
			Dec:             r.Candidate.Dec,
		}
	}
	return out, nil
}

// nightOf returns the night of an alert from its night id, or from its
// Julian date when the packet has no night id.
func nightOf(nid *int32, jd float64) night.Night {
	switch {
	case nid != nil && *nid > 0:
		return night.FromNID(int(*nid))
	case jd > 0:
		return night.FromJD(jd)
	}
	return night.Night{}
}

// decodeRecords reads the container b and decodes each of its records
// into a new T, with the plan of its writer schema (whole). With prefix,
// the record of a block that holds only one is read up to the last field T
// has a tag for, and the rest of the block is not looked at; the framing of
// every block (record count, length, sync marker) is checked all the same.
func decodeRecords[T any](d *Decoder, b []byte, prefix bool) ([]*T, plan, error) {
	c, err := d.open(b)
	if err != nil {
		return nil, plan{}, err
	}
	ps, err := c.w.planFor(reflect.TypeFor[T]())
	if err != nil {
		return nil, plan{}, fmt.Errorf("%w: %w", ErrNotZTF, err)
	}
	var out []*T
	rec := avro.NewReader(nil, 0, avro.WithReaderConfig(d.api))
	for {
		data, n, err := c.nextBlock()
		if err != nil {
			return nil, plan{}, err
		}
		if data == nil {
			break
		}
		rec.Reset(data)
		rec.Error = nil // Reset keeps the end-of-data mark of the last block
		schema, p := c.w.schema, ps.whole
		whole := !prefix || n > 1 || ps.prefixSchema == nil
		if !whole {
			schema, p = ps.prefixSchema, ps.prefix
		}
		for i := range n {
			v := new(T)
			if p.convert == nil {
				rec.ReadVal(schema, v)
			} else {
				shadow := reflect.New(p.typ)
				rec.ReadVal(schema, shadow.Interface())
				p.convert(reflect.ValueOf(v).Elem(), shadow.Elem())
			}
			if rec.Error != nil {
				return nil, plan{}, fmt.Errorf("%w: record %d of %d in block %d: %w", ErrCorrupt, i+1, n, c.blocks, readError(rec.Error))
			}
			if p.mark != nil {
				p.mark(reflect.ValueOf(v).Elem())
			}
			out = append(out, v)
		}
		if !whole {
			continue
		}
		if rec.Peek(); rec.Error == nil {
			return nil, plan{}, fmt.Errorf("%w: block %d holds more bytes than its %d records", ErrCorrupt, c.blocks, n)
		}
	}
	if len(out) == 0 {
		return nil, plan{}, fmt.Errorf("%w: container holds no records", ErrCorrupt)
	}
	return out, ps.whole, nil
}

// readError names the end of data, which hamba reports as a bare EOF.
func readError(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("data ends early (truncated): %w", err)
	}
	return err
}

// container is an open object container file: its writer schema and the
// position of its next block in the packet's bytes, which it reads in
// place.
type container struct {
	w      *writer
	codec  codec
	sync   []byte // the header's sync marker
	f      framing
	blocks int // blocks read so far
}

// open reads the header of the container b and finds its parsed writer
// schema. The header is read in place: nothing of b is copied.
func (d *Decoder) open(b []byte) (*container, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("%w: empty input", ErrNotContainer)
	}
	if len(b) < len(containerMagic) || string(b[:len(containerMagic)]) != containerMagic {
		return nil, fmt.Errorf("%w: no container header (bytes do not start with %q); a bare Avro datum cannot be decoded without its writer schema", ErrNotContainer, containerMagic)
	}
	f := framing{b: b, pos: len(containerMagic)}
	var raw, codecName []byte
	haveSchema := false
	err := f.meta(func(key, value []byte) {
		switch string(key) {
		case schemaKey:
			raw, haveSchema = value, true
		case codecKey:
			codecName = value
		}
	})
	var sync []byte
	if err == nil {
		sync, err = f.bytes(syncLen)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: header: %w", ErrCorrupt, readError(err))
	}
	if !haveSchema {
		return nil, fmt.Errorf("%w: header has no %s", ErrCorrupt, schemaKey)
	}
	codec, err := codecOf(string(codecName))
	if err != nil {
		return nil, err
	}
	w, err := d.writer(raw)
	if err != nil {
		return nil, err
	}
	return &container{w: w, codec: codec, sync: sync, f: f}, nil
}

// codecOf returns the block codec named in a container header.
func codecOf(name string) (codec, error) {
	switch ocf.CodecName(name) {
	case ocf.Null, "":
		return func(b []byte) ([]byte, error) { return b, nil }, nil
	case ocf.Deflate:
		return inflate, nil
	case ocf.Snappy:
		return unsnappy, nil
	}
	return nil, fmt.Errorf("%w: unsupported codec %q (want null, deflate or snappy)", ErrCorrupt, name)
}

// codec decompresses a block.
type codec func([]byte) ([]byte, error)

// inflate decompresses a deflate block of at most maxBlockLen bytes.
func inflate(b []byte) ([]byte, error) {
	r := flate.NewReader(bytes.NewReader(b))
	defer r.Close()
	data, err := io.ReadAll(io.LimitReader(r, maxBlockLen+1))
	if err != nil {
		return nil, fmt.Errorf("deflate: %w", err)
	}
	if len(data) > maxBlockLen {
		return nil, fmt.Errorf("deflate: block inflates beyond %d bytes", maxBlockLen)
	}
	return data, nil
}

// unsnappy decompresses a snappy block (with its CRC) of at most
// maxBlockLen bytes.
func unsnappy(b []byte) ([]byte, error) {
	if len(b) < 5 {
		return nil, errors.New("snappy: block too short")
	}
	if n, err := snappy.DecodedLen(b[:len(b)-4]); err != nil || n > maxBlockLen {
		return nil, fmt.Errorf("snappy: block claims %d bytes (limit %d): %v", n, maxBlockLen, err)
	}
	return (&ocf.SnappyCodec{}).Decode(b)
}

// nextBlock returns the decompressed data of the next block and its number
// of records, or nil data at the end of the container. The data of a
// block without compression is the block's part of the packet itself.
func (c *container) nextBlock() ([]byte, int64, error) {
	f := &c.f
	if f.pos == len(f.b) {
		return nil, 0, nil
	}
	c.blocks++
	n, err := f.long()
	var size int64
	if err == nil {
		size, err = f.long()
	}
	if err != nil {
		return nil, 0, fmt.Errorf("%w: block %d header: %w", ErrCorrupt, c.blocks, readError(err))
	}
	if n <= 0 || n > maxRecords || size <= 0 || size > int64(len(f.b)) {
		return nil, 0, fmt.Errorf("%w: block %d claims %d records in %d bytes", ErrCorrupt, c.blocks, n, size)
	}
	data, err := f.bytes(size)
	var sync []byte
	if err == nil {
		sync, err = f.bytes(syncLen)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("%w: block %d of %d bytes: %w", ErrCorrupt, c.blocks, size, readError(err))
	}
	if !bytes.Equal(sync, c.sync) {
		return nil, 0, fmt.Errorf("%w: block %d does not end with the header's sync marker", ErrCorrupt, c.blocks)
	}
	data, err = c.codec(data)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: block %d: %w", ErrCorrupt, c.blocks, err)
	}
	return data, n, nil
}
