package alert

import (
	"errors"
	"io"
)

// syncLen is the length of a container's sync marker.
const syncLen = 16

// errLongOverflow: a zig-zag varint longer than a long.
var errLongOverflow = errors.New("varint overflows a long")

// framing reads the framing of an Avro object container file (the header's
// metadata, the block counts and lengths, the sync markers) in place: the
// bytes it returns are parts of b, never copies. Reading beyond b is
// io.ErrUnexpectedEOF.
type framing struct {
	b   []byte
	pos int
}

// long reads a zig-zag varint long.
func (f *framing) long() (int64, error) {
	var u uint64
	for shift := uint(0); shift < 64; shift += 7 {
		if f.pos == len(f.b) {
			return 0, io.ErrUnexpectedEOF
		}
		c := f.b[f.pos]
		f.pos++
		u |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return int64(u>>1) ^ -int64(u&1), nil
		}
	}
	return 0, errLongOverflow
}

// bytes returns the next n bytes.
func (f *framing) bytes(n int64) ([]byte, error) {
	if n < 0 || n > int64(len(f.b)-f.pos) {
		return nil, io.ErrUnexpectedEOF
	}
	b := f.b[f.pos : f.pos+int(n)]
	f.pos += int(n)
	return b, nil
}

// value reads a length-prefixed string or bytes value.
func (f *framing) value() ([]byte, error) {
	n, err := f.long()
	if err != nil {
		return nil, err
	}
	if n < 0 {
		return nil, errors.New("negative length")
	}
	return f.bytes(n)
}

// meta reads the header's metadata, a map of bytes values, calling each
// for every entry in order.
func (f *framing) meta(each func(key, value []byte)) error {
	for {
		n, err := f.long()
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		if n < 0 { // a block with its byte size, which is not needed
			n = -n
			if _, err := f.long(); err != nil {
				return err
			}
		}
		for range n {
			k, err := f.value()
			if err != nil {
				return err
			}
			v, err := f.value()
			if err != nil {
				return err
			}
			each(k, v)
		}
	}
}
