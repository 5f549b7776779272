// Package alert decodes ZTF alert packets: the Avro object container files
// ZTF publishes, one alert per Kafka message, of every schema version (1.1
// to 4.02, and later ones that add fields), as well as brokers' containers
// of several alerts.
//
// Share one Decoder (it parses each writer schema once); Decode returns one
// Alert per record, Summarize only the ids, night and position of each,
// without the histories and cutouts:
//
//	d := alert.NewDecoder()
//	alerts, err := d.Decode(packet) // []*Alert; err wraps ErrNotContainer, ErrCorrupt or ErrNotZTF
//	ids, err := d.Summarize(packet) // []Summary, for message attributes
//
// Values are kept as ZTF wrote them (placeholders such as -999 included);
// a field the packet has no value for holds its zero value and is in the
// Absent set of its struct. Decode never panics, never returns part of a
// container, and bounds what a hostile packet can allocate.
// ExampleDecoder_Decode decodes a real packet.
//
// docs/alerts.md is the reference: what a packet is, what is decoded, the
// placeholders, absent and unmapped fields, the writer schemas strict
// libraries reject, what counts as a ZTF alert, broken input and limits.
package alert
