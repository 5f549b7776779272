package alert

import "github.com/hamba/avro/v2"

// WriterSchema returns the parsed (cached) writer schema of the container
// b and the data of its blocks, for benchmarks that compare with generic
// decoding.
func WriterSchema(d *Decoder, b []byte) (avro.Schema, [][]byte, error) {
	c, err := d.open(b)
	if err != nil {
		return nil, nil, err
	}
	var blocks [][]byte
	for {
		data, _, err := c.nextBlock()
		if err != nil {
			return nil, nil, err
		}
		if data == nil {
			return c.w.schema, blocks, nil
		}
		blocks = append(blocks, data)
	}
}

// MaxFields is the number of fields a FieldSet holds.
const MaxFields = maxFields
