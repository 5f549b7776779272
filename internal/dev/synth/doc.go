// Package synth generates synthetic ZTF alerts: the volume source for
// benchmarks, the simulator and the demo.
//
// Each packet is what ZTF would publish for an alert of the 4.02 layout:
// an Avro object container file with ZTF's own 4.02 writer schema in its
// header (byte for byte, non-standard defaults included), codec null, one
// record. The record looks like a real one:
//
//   - candids unique within the night and starting with its nid, like
//     ZTF's (nid, exposure, readout channel, source number); jd within the
//     night; night and topic follow from Config.Night;
//   - alerts spread over Config.Objects objects (ZTF-style ids such as
//     ZTF21aabcdef); each further alert of an object carries the earlier
//     ones in prv_candidates, so histories grow, up to 60 entries, with
//     upper limits (null candid) mixed in, and fp_hists (some -99999);
//   - ZTF's placeholders where ZTF writes them (-999 for missing PS1
//     neighbours, ssnamenr "null");
//   - three cutouts of 12-15 KB each: gzip'd 63x63 float32 FITS images of
//     seeded noise and a source, which do not compress away.
//
// Packets are 60-90 KB like real ones, and deterministic: the same Config
// (Seed included) gives the same packets, byte for byte.
//
//	g, err := synth.New(synth.Config{Night: n, Seed: 1})
//	for range count {
//		p, err := g.Next() // p.Data: the Kafka message, p.Candid, p.Alert
//	}
package synth
