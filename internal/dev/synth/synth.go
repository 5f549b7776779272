package synth

import (
	"bytes"
	"cmp"
	"compress/gzip"
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/hamba/avro/v2"

	"github.com/ztfbridge/ztfbridge/internal/core/alert"
	"github.com/ztfbridge/ztfbridge/internal/core/night"
)

// schema402 is the writer schema of ZTF's 4.02 packets, byte for byte as
// their container headers carry it (with its non-standard defaults).
//
//go:embed alert-4.02.avsc
var schema402 []byte

// Config says what to generate. The zero value of every field but Night
// has a default.
type Config struct {
	// Night is the UTC date of the night; the candids, nid, jd and the
	// topic all follow from it.
	Night night.Night
	// Seed makes the output reproducible: the same Config gives the same
	// packets, byte for byte.
	Seed uint64
	// Objects is how many distinct objects the alerts are spread over;
	// each object gets several alerts with growing histories. Default
	// DefaultObjects.
	Objects int
	// OmitCutouts leaves out the three cutouts (about 60 KB of each
	// alert): packets of ~15 KB, for measurements that count messages
	// rather than bytes.
	OmitCutouts bool
}

// DefaultObjects is the default of Config.Objects: a 1000-alert run gets
// about 4 alerts per object.
const DefaultObjects = 250

// Packet is one generated alert: the bytes ZTF would publish and the
// alert they decode to.
type Packet struct {
	Candid int64
	Data   []byte       // an Avro container file, named <candid>.avro by ZTF
	Alert  *alert.Alert // what Data decodes to
}

// Generator produces synthetic alerts of one night. It is not safe for
// concurrent use; give each goroutine its own (with its own seed).
type Generator struct {
	cfg     Config
	schema  avro.Schema
	api     avro.API
	rng     *rand.Rand
	nid     int
	expBase int     // exposure number of the night's first exposure
	jd0     float64 // Julian date of the start of the night
	objects []*object
	seq     int // alerts generated so far
	sync    [16]byte
	fits    []byte       // scratch space for a cutout's FITS image
	gzip    *gzip.Writer // reused: a new one allocates its tables
}

// object is the state of one synthetic astronomical object: where it is and
// what ZTF has seen of it.
type object struct {
	id      string
	ra, dec float64
	mag     float32
	history []alert.PrvCandidate // oldest first
	fp      []alert.FPHist
}

// maxHistory caps the histories, as ZTF's 30-day window does.
const maxHistory = 60

// New returns a Generator for cfg.
func New(cfg Config) (*Generator, error) {
	if cfg.Night.IsZero() {
		return nil, errors.New("synth: no night")
	}
	if cfg.Objects <= 0 {
		cfg.Objects = DefaultObjects
	}
	s, _, err := alert.ParseSchema(schema402)
	if err != nil {
		return nil, fmt.Errorf("synth: 4.02 schema: %w", err)
	}
	g := &Generator{
		cfg:    cfg,
		schema: s,
		api:    avro.Config{}.Freeze(),
		rng:    rand.New(rand.NewPCG(cfg.Seed, uint64(cfg.Night.NID()))),
		nid:    cfg.Night.NID(),
		jd0:    julianDate(cfg.Night.Time()) + 0.125, // 03:00 UTC, dusk at Palomar
	}
	g.gzip, _ = gzip.NewWriterLevel(nil, gzip.BestSpeed) // a valid level: no error
	for i := range g.sync {
		g.sync[i] = byte(g.rng.Uint32())
	}
	g.expBase = 1_000_000 + g.rng.IntN(8_000_000)
	ids := make(map[string]bool, cfg.Objects)
	for range cfg.Objects {
		g.objects = append(g.objects, g.newObject(ids))
	}
	return g, nil
}

// Next returns the next alert of the night. Its candid is unique within
// the night and starts with the night's nid, like ZTF's.
func (g *Generator) Next() (Packet, error) {
	o := g.objects[g.rng.IntN(len(g.objects))]
	a := g.alertOf(o)
	data, err := g.container(a)
	if err != nil {
		return Packet{}, fmt.Errorf("synth: encode %d: %w", a.Candid, err)
	}
	g.remember(o, a)
	return Packet{Candid: a.Candid, Data: data, Alert: a}, nil
}

// container encodes alerts as ZTF does: an object container file with the
// header keys avro.codec and avro.schema in that order (hamba's ocf
// encoder writes them in map order, which would make the bytes vary from
// run to run), and one uncompressed block.
func (g *Generator) container(alerts ...*alert.Alert) ([]byte, error) {
	var rec []byte
	for _, a := range alerts {
		r, err := g.api.Marshal(g.schema, a)
		if err != nil {
			return nil, err
		}
		rec = append(rec, r...)
	}
	var buf bytes.Buffer
	buf.Grow(len(schema402) + len(rec) + 100)
	w := avro.NewWriter(&buf, 0, avro.WithWriterConfig(g.api))
	w.Write([]byte("Obj\x01"))
	w.WriteLong(2) // header metadata: one block of two entries
	w.WriteString("avro.codec")
	w.WriteBytes([]byte("null"))
	w.WriteString("avro.schema")
	w.WriteBytes(schema402)
	w.WriteLong(0)
	w.Write(g.sync[:])
	w.WriteLong(int64(len(alerts))) // one block of every record
	w.WriteBytes(rec)
	w.Write(g.sync[:])
	if err := w.Flush(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Generate returns the first n packets of the night cfg describes.
func Generate(cfg Config, n int) ([]Packet, error) {
	g, err := New(cfg)
	if err != nil {
		return nil, err
	}
	return g.Packets(n)
}

// Data returns the bytes of each packet of ps, in order: what a producer
// (simulate.Packets) takes.
func Data(ps []Packet) [][]byte {
	out := make([][]byte, len(ps))
	for i, p := range ps {
		out[i] = p.Data
	}
	return out
}

// Packets returns the next n packets of g.
func (g *Generator) Packets(n int) ([]Packet, error) {
	out := make([]Packet, n)
	for i := range out {
		var err error
		if out[i], err = g.Next(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// newObject places a new object somewhere in ZTF's sky with a history
// from earlier nights. ids holds the object ids taken so far.
func (g *Generator) newObject(ids map[string]bool) *object {
	r := g.rng
	id := ""
	for id == "" || ids[id] {
		yy := g.cfg.Night.Time().Year() % 100
		if r.IntN(3) > 0 { // most alerts are of objects found in earlier years
			yy = 18 + r.IntN(max(yy-18, 1))
		}
		id = fmt.Sprintf("ZTF%02d%s", yy, letters(r))
	}
	ids[id] = true
	o := &object{
		id:  id,
		ra:  r.Float64() * 360,
		dec: -30 + r.Float64()*120,
		mag: 16 + r.Float32()*4.5,
	}
	// Earlier nights of the last 30 days: detections and upper limits.
	for n := r.IntN(40); n > 0; n-- {
		days := 1 + r.Float64()*29
		p := g.prv(o, g.jd0-days, r.IntN(3) > 0)
		o.history = append(o.history, p)
	}
	slices.SortFunc(o.history, func(a, b alert.PrvCandidate) int { return cmp.Compare(a.JD, b.JD) })
	for n := 8 + r.IntN(14); n > 0; n-- {
		o.fp = append(o.fp, g.fpHist(o, g.jd0-1-r.Float64()*29))
	}
	return o
}

// letters spells a 7-letter ZTF object suffix such as aabcdef.
func letters(r *rand.Rand) string {
	b := []byte("aa")
	for range 5 {
		b = append(b, byte('a'+r.IntN(26)))
	}
	b[1] += byte(r.IntN(4))
	return string(b)
}

// alertOf makes the next alert of object o.
func (g *Generator) alertOf(o *object) *alert.Alert {
	r := g.rng
	g.seq++
	exposure := g.seq / 1000 // about a thousand alerts per exposure
	expID := g.expBase + exposure
	rcid := int32(r.IntN(64))
	pid := int64(g.nid)*1_000_000_000 + int64(expID)*100 + int64(rcid)
	candid := pid*1_000_000 + 10_000 + int64(g.seq%10_000)
	jd := g.jd0 + float64(exposure)*(35.0/86400) + r.Float64()*1e-4
	c := g.candidate(o, jd, candid, pid, rcid)

	a := &alert.Alert{
		Candid:        candid,
		ObjectID:      o.id,
		SchemaVsn:     "4.02",
		SchemaVersion: "4.02",
		Night:         g.cfg.Night,
		Publisher:     "ZTF (www.ztf.caltech.edu)",
		Candidate:     c,
		PrvCandidates: append([]alert.PrvCandidate(nil), o.history...),
		FPHists:       append([]alert.FPHist(nil), o.fp...),
	}
	if g.cfg.OmitCutouts {
		return a
	}
	prefix := fmt.Sprintf("candid%d_pid%d_targ_", candid, pid)
	a.CutoutScience = &alert.Cutout{FileName: prefix + "sci.fits.gz", StampData: g.cutout()}
	a.CutoutTemplate = &alert.Cutout{FileName: prefix + "ref.fits.gz", StampData: g.cutout()}
	a.CutoutDifference = &alert.Cutout{FileName: prefix + "scimref.fits.gz", StampData: g.cutout()}
	return a
}

// remember adds alert a to the history of its object, for its next alert.
func (g *Generator) remember(o *object, a *alert.Alert) {
	p := g.prv(o, a.Candidate.JD, true)
	p.Candid = &a.Candid
	o.history = append(o.history, p)
	o.fp = append(o.fp, g.fpHist(o, a.Candidate.JD))
	if n := len(o.history) - maxHistory; n > 0 {
		o.history = o.history[n:]
	}
	if n := len(o.fp) - maxHistory/2; n > 0 {
		o.fp = o.fp[n:]
	}
}

func (g *Generator) candidate(o *object, jd float64, candid, pid int64, rcid int32) alert.Candidate {
	r := g.rng
	nid := int32(g.nid)
	field := int32(200 + r.IntN(700))
	mag := o.mag + float32(r.NormFloat64()*0.3)
	return alert.Candidate{
		JD: jd, FID: int32(1 + r.IntN(2)), PID: pid, Candid: candid,
		Diffmaglim:      f32(20 + r.Float32()),
		Pdiffimfilename: ptr(fmt.Sprintf("ztf_%s%06d_%06d_zr_c%02d_o_q%d_scimrefdiffimg.fits", g.cfg.Night, r.IntN(999999), field, rcid/4+1, rcid%4+1)),
		ProgramPI:       ptr("Kulkarni"), ProgramID: 1,
		IsDiffPos: []string{"t", "f"}[r.IntN(2)],
		TblID:     ptr(int64(r.IntN(100))), NID: &nid, RCID: &rcid, Field: &field,
		XPos: f32(r.Float32() * 3072), YPos: f32(r.Float32() * 3080),
		RA: o.ra + r.NormFloat64()*1e-5, Dec: o.dec + r.NormFloat64()*1e-5,
		Magpsf: mag, Sigmapsf: 0.05 + r.Float32()*0.1,
		Chipsf: f32(0.5 + r.Float32()*3), Magap: f32(mag + 0.1), Sigmagap: f32(0.1),
		Distnr: f32(r.Float32() * 5), Magnr: f32(mag + 1), Sigmagnr: f32(0.02), Chinr: f32(1.1), Sharpnr: f32(0.01),
		Sky: f32(r.Float32()), Magdiff: f32(0.1), FWHM: f32(1.5 + r.Float32()*2), Classtar: f32(r.Float32()),
		Mindtoedge: f32(r.Float32() * 1000), Magfromlim: f32(1), Seeratio: f32(1), Aimage: f32(0.7), Bimage: f32(0.6),
		Aimagerat: f32(0.3), Bimagerat: f32(0.25), Elong: f32(1.1), Nneg: ptr(int32(r.IntN(10))), Nbad: ptr(int32(0)),
		RB: f32(r.Float32()), SSDistnr: f32(-999), SSMagnr: f32(-999), SSNamenr: ptr("null"), Sumrat: f32(0.9),
		Magapbig: f32(mag), Sigmagapbig: f32(0.1), RAnr: o.ra, Decnr: o.dec,
		Sgmag1: f32(mag + 1), Srmag1: f32(mag + 0.8), Simag1: f32(mag + 0.7), Szmag1: f32(mag + 0.6), Sgscore1: f32(r.Float32()), Distpsnr1: f32(r.Float32()),
		Ndethist: int32(len(o.history) + 1), Ncovhist: int32(len(o.history) + 10),
		JDStartHist: f64(jd - 30), JDEndHist: f64(jd), Scorr: f64(5 + r.Float64()*20), Tooflag: ptr(int32(0)),
		ObjectIDPS1: ptr(int64(100000000000000000 + r.Int64N(1e16))), ObjectIDPS2: ptr(int64(-999)), ObjectIDPS3: ptr(int64(-999)),
		Sgmag2: f32(-999), Srmag2: f32(-999), Simag2: f32(-999), Szmag2: f32(-999), Sgscore2: f32(-999), Distpsnr2: f32(-999),
		Sgmag3: f32(-999), Srmag3: f32(-999), Simag3: f32(-999), Szmag3: f32(-999), Sgscore3: f32(-999), Distpsnr3: f32(-999),
		Nmtchps: int32(r.IntN(10)), RFID: int64(field)*1_000_000 + 120, JDStartRef: 2458200.5, JDEndRef: 2458400.5, Nframesref: 15,
		RBVersion: "t17_f5_c3", Dsnrms: f32(5), Ssnrms: f32(10), Dsdiff: f32(-5), Magzpsci: f32(26.3), Magzpsciunc: f32(1e-5), Magzpscirms: f32(0.03),
		Nmatches: int32(500 + r.IntN(1000)), Clrcoeff: f32(-0.05), Clrcounc: f32(1e-5), Zpclrcov: f32(-1e-6), Zpmed: f32(26.3), Clrmed: f32(0.7), Clrrms: f32(0.2),
		Neargaia: f32(r.Float32() * 10), Neargaiabright: f32(-999), Maggaia: f32(mag + 0.5), Maggaiabright: f32(-999),
		ExpTime: f32(30), DRB: f32(r.Float32()), DRBVersion: "d6_m7",
	}
}

// prv makes a history entry at jd: a detection or an upper limit (no
// candid, no position or magnitude).
func (g *Generator) prv(o *object, jd float64, detection bool) alert.PrvCandidate {
	r := g.rng
	nid := int32(g.nid - int(g.jd0-jd))
	field, rcid := int32(200+r.IntN(700)), int32(r.IntN(64))
	p := alert.PrvCandidate{
		JD: jd, FID: int32(1 + r.IntN(2)), PID: int64(nid)*1_000_000_000 + int64(r.IntN(1e7))*100 + int64(rcid),
		Diffmaglim: f32(19.5 + r.Float32()*1.5), ProgramID: 1, NID: &nid, RCID: &rcid, Field: &field,
		Magzpsci: f32(26.2), Magzpsciunc: f32(1e-5), Magzpscirms: f32(0.03), Clrcoeff: f32(-0.05), Clrcounc: f32(1e-5),
		RBVersion: "t17_f5_c3",
	}
	if !detection {
		return p
	}
	candid := p.PID*1_000_000 + 10_000 + int64(r.IntN(10_000))
	mag := o.mag + float32(r.NormFloat64()*0.3)
	p.Candid = &candid
	p.Pdiffimfilename = ptr("ztf_diffimg.fits")
	p.ProgramPI = ptr("Kulkarni")
	p.IsDiffPos = ptr("t")
	p.TblID = ptr(int64(r.IntN(100)))
	p.XPos, p.YPos = f32(r.Float32()*3072), f32(r.Float32()*3080)
	p.RA, p.Dec = f64(o.ra+r.NormFloat64()*1e-5), f64(o.dec+r.NormFloat64()*1e-5)
	p.Magpsf, p.Sigmapsf = f32(mag), f32(0.05+r.Float32()*0.1)
	p.Chipsf, p.Magap, p.Sigmagap = f32(1), f32(mag+0.1), f32(0.1)
	p.Distnr, p.Magnr, p.Sigmagnr, p.Chinr, p.Sharpnr = f32(r.Float32()*5), f32(mag+1), f32(0.02), f32(1.1), f32(0.01)
	p.Sky, p.Magdiff, p.FWHM, p.Classtar, p.Mindtoedge = f32(r.Float32()), f32(0.1), f32(2), f32(0.9), f32(500)
	p.Magfromlim, p.Seeratio, p.Aimage, p.Bimage = f32(1), f32(1), f32(0.7), f32(0.6)
	p.Aimagerat, p.Bimagerat, p.Elong, p.Nneg, p.Nbad = f32(0.3), f32(0.25), f32(1.1), ptr(int32(2)), ptr(int32(0))
	p.RB, p.SSDistnr, p.SSMagnr, p.SSNamenr, p.Sumrat = f32(r.Float32()), f32(-999), f32(-999), ptr("null"), f32(0.9)
	p.Magapbig, p.Sigmagapbig, p.RAnr, p.Decnr, p.Scorr = f32(mag), f32(0.1), f64(o.ra), f64(o.dec), f64(8)
	return p
}

// fpHist makes a forced-photometry point at jd; about one in five could
// not be measured and carries ZTF's -99999.
func (g *Generator) fpHist(o *object, jd float64) alert.FPHist {
	r := g.rng
	field, rcid := int32(200+r.IntN(700)), int32(r.IntN(64))
	flux, unc := f32(r.Float32()*500-100), f32(20+r.Float32()*30)
	if r.IntN(5) == 0 {
		flux, unc = f32(-99999), f32(-99999)
	}
	return alert.FPHist{
		Field: &field, RCID: &rcid, FID: int32(1 + r.IntN(2)), PID: int64(g.nid)*1_000_000_000 + int64(r.IntN(1e7))*100,
		RFID: int64(field)*1_000_000 + 120, Sciinpseeing: f32(2), Scibckgnd: f32(150), Scisigpix: f32(10),
		Magzpsci: f32(26.2), Magzpsciunc: f32(1e-5), Magzpscirms: f32(0.03), Clrcoeff: f32(-0.05), Clrcounc: f32(1e-5),
		ExpTime: f32(30), Adpctdif1: f32(0.1), Adpctdif2: f32(0.1), Diffmaglim: f32(20.3), ProgramID: 1, JD: jd,
		Forcediffimflux: flux, Forcediffimfluxunc: unc, Procstatus: ptr(strconv.Itoa([]int{0, 0, 0, 56}[r.IntN(4)])),
		Distnr: f32(1), RAnr: o.ra, Decnr: o.dec, Magnr: f32(o.mag + 1), Sigmagnr: f32(0.02), Chinr: f32(1), Sharpnr: f32(0),
	}
}

// fitsHeader is the FITS header of a cutout: one 2880-byte block of
// 80-character cards.
var fitsHeader = func() []byte {
	var b bytes.Buffer
	for _, c := range []string{
		"SIMPLE  =                    T", "BITPIX  =                  -32", "NAXIS   =                    2",
		"NAXIS1  =                   63", "NAXIS2  =                   63", "ORIGIN  = 'ztfbridge synth'", "END",
	} {
		fmt.Fprintf(&b, "%-80s", c)
	}
	b.Write(bytes.Repeat([]byte{' '}, 2880-b.Len()))
	return b.Bytes()
}()

// psf is the profile of a point source in the middle of a 63x63 cutout.
var psf = func() (p [63 * 63]float64) {
	for i := range p {
		x, y := i%63-31, i/63-31
		p[i] = math.Exp(-float64(x*x+y*y) / 8)
	}
	return p
}()

// cutout makes a gzip'd 63x63 float32 FITS image of sky noise and a
// source, like ZTF's stamps: 12-15 KB that do not compress further.
func (g *Generator) cutout() []byte {
	r := g.rng
	sky := math.Exp2(float64(2 + r.IntN(7))) // the noise's share of the mantissa sets the size
	peak := 10 * r.Float64()
	img := append(g.fits[:0], fitsHeader...)
	for _, p := range psf {
		v := 1000 + r.NormFloat64()*sky + peak*sky*p
		img = binary.BigEndian.AppendUint32(img, math.Float32bits(float32(v)))
	}
	img = append(img, make([]byte, (2880-len(img)%2880)%2880)...) // FITS pads to blocks
	g.fits = img
	var out bytes.Buffer
	g.gzip.Reset(&out)
	_, _ = g.gzip.Write(img) // writes to a bytes.Buffer do not fail
	_ = g.gzip.Close()
	return out.Bytes()
}

// julianDate returns the Julian date of t.
func julianDate(t time.Time) float64 {
	return 2440587.5 + float64(t.Unix())/86400
}

func ptr[T any](v T) *T      { return &v }
func f32(v float32) *float32 { return &v }
func f64(v float64) *float64 { return &v }
