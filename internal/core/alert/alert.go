package alert

import (
	"github.com/ztfbridge/ztfbridge/internal/core/night"
)

// Alert is one decoded ZTF alert: the record of a packet plus what the
// container told about it.
//
// The struct is the one definition of an alert in ztfbridge: its avro tags
// name the ZTF fields it reads (the union of the fields of schema versions
// 1.7 to 4.02) and its doc tags describe them; the BigQuery schema is
// derived from it. A field is a pointer when ZTF may write null for it;
// a writer schema that disagrees (a broker that made every field nullable,
// an old version that did not) still decodes, see the package doc.
type Alert struct {
	Candid    int64  `avro:"candid" doc:"candidate id of the alert, unique per alert; starts with the night id"`
	ObjectID  string `avro:"objectId" doc:"object identifier or name"`
	SchemaVsn string `avro:"schemavsn" doc:"schema version as written in the record (can differ from schema_version)"`

	// SchemaVersion is the "version" attribute of the writer schema in the
	// container header ("" when the writer schema has none).
	SchemaVersion string `avro:"-"`
	// Night is the UTC date of the night of the alert: candidate.nid when
	// the packet has it, else the date of candidate.jd.
	Night night.Night `avro:"-"`

	Publisher        string         `avro:"publisher" doc:"origin of alert packet"`
	Candidate        Candidate      `avro:"candidate" doc:"the detection that triggered the alert"`
	PrvCandidates    []PrvCandidate `avro:"prv_candidates" doc:"detections and upper limits (candid null) of the previous 30 days"`
	FPHists          []FPHist       `avro:"fp_hists" doc:"forced photometry history of the previous 30 days (schema 4.x)"`
	CutoutScience    *Cutout        `avro:"cutoutScience" doc:"science image cutout, gzip-compressed FITS"`
	CutoutTemplate   *Cutout        `avro:"cutoutTemplate" doc:"template image cutout, gzip-compressed FITS"`
	CutoutDifference *Cutout        `avro:"cutoutDifference" doc:"difference image cutout, gzip-compressed FITS"`

	// Absent holds the fields above held by value that the packet gave no
	// value (see FieldSet); Candidate, PrvCandidate and FPHist have theirs.
	Absent FieldSet `avro:"-"`
	// Writer describes the writer schema of the packet. Every alert of
	// that schema shares it: do not modify it. Nil in an Alert built by
	// hand.
	Writer *Schema `avro:"-"`
}

// Schema is what the Decoder learned of a writer schema when it parsed it.
type Schema struct {
	// ID names the schema in logs and metrics: the first 16 hex digits of
	// the SHA-256 of the schema as the container header holds it.
	ID string
	// Version is the schema's "version" attribute ("" when it has none).
	Version string
	// Unmapped lists the writer's fields that the Alert has no place for,
	// as dotted paths ("candidate.newfield", "prv_candidates.x",
	// "fink_class"): fields of another version or of a broker, and fields
	// whose type cannot be converted to the Go field's. Their values are
	// skipped by the decoder; they are only in the packet itself.
	Unmapped []string
}

// FieldSet is a set of fields of one of the record structs of this
// package (Alert, Candidate, PrvCandidate, FPHist), by their index in the
// struct, as reflect numbers them.
//
// Each of those structs has a FieldSet named Absent: the fields held by
// value (not pointers or slices) that the packet gave no value, because
// the writer schema lacks them (rfid in prv_candidates, drbversion before
// 3.3, objectId in early simulations) or because the writer wrote null
// into them (Fink's schemas make every field nullable). Such a field holds
// its zero value, which the packet did not say: 0 and "" in a field not in
// Absent are values the packet holds. A pointer field that is nil is null
// whatever Absent says.
type FieldSet [2]uint64

// maxFields is the number of fields a FieldSet can hold; a test checks
// that the structs of this package stay below it.
const maxFields = 128

// Has reports whether the field with index i is in s.
func (s FieldSet) Has(i int) bool {
	return i >= 0 && i < maxFields && s[i/64]&(1<<(i%64)) != 0
}

// Add puts the field with index i in s.
func (s *FieldSet) Add(i int) { s[i/64] |= 1 << (i % 64) }

// union puts the fields of t in s.
func (s *FieldSet) union(t FieldSet) {
	s[0] |= t[0]
	s[1] |= t[1]
}

// Topic returns the ZTF Kafka topic of the alert's night,
// ztf_YYYYMMDD_programid1.
func (a *Alert) Topic() string { return a.Night.Topic() }

// Cutouts returns the cutouts the alert carries, science, template and
// difference in that order, leaving out the absent ones.
func (a *Alert) Cutouts() []*Cutout {
	var cs []*Cutout
	for _, c := range []*Cutout{a.CutoutScience, a.CutoutTemplate, a.CutoutDifference} {
		if c != nil {
			cs = append(cs, c)
		}
	}
	return cs
}

// UpperLimits counts the entries of PrvCandidates that are upper limits
// (non-detections: their candid is null).
func (a *Alert) UpperLimits() int {
	n := 0
	for i := range a.PrvCandidates {
		if a.PrvCandidates[i].IsUpperLimit() {
			n++
		}
	}
	return n
}

// IsUpperLimit reports whether p is an upper limit (a non-detection) rather
// than a detection: ZTF writes those with a null candid.
func (p *PrvCandidate) IsUpperLimit() bool { return p.Candid == nil }

// Candidate is the detection that triggered an alert.
type Candidate struct {
	JD              float64  `avro:"jd" doc:"Observation Julian date at start of exposure [days]"`
	FID             int32    `avro:"fid" doc:"Filter ID (1=g; 2=R; 3=i)"`
	PID             int64    `avro:"pid" doc:"Processing ID for science image to facilitate archive retrieval"`
	Diffmaglim      *float32 `avro:"diffmaglim" doc:"Expected 5-sigma mag limit in difference image based on global noise estimate [mag]"`
	Pdiffimfilename *string  `avro:"pdiffimfilename" doc:"filename of positive (sci minus ref) difference image"`
	ProgramPI       *string  `avro:"programpi" doc:"Principal investigator attached to program ID"`
	ProgramID       int32    `avro:"programid" doc:"Program ID: encodes either public, collab, or caltech mode"`
	Candid          int64    `avro:"candid" doc:"Candidate ID from operations DB"`
	IsDiffPos       string   `avro:"isdiffpos" doc:"t or 1 => candidate is from positive (sci minus ref) subtraction; f or 0 => candidate is from negative (ref minus sci) subtraction"`
	TblID           *int64   `avro:"tblid" doc:"Internal pipeline table extraction ID"`
	NID             *int32   `avro:"nid" doc:"Night ID"`
	RCID            *int32   `avro:"rcid" doc:"Readout channel ID [00 .. 63]"`
	Field           *int32   `avro:"field" doc:"ZTF field ID"`
	XPos            *float32 `avro:"xpos" doc:"x-image position of candidate [pixels]"`
	YPos            *float32 `avro:"ypos" doc:"y-image position of candidate [pixels]"`
	RA              float64  `avro:"ra" doc:"Right Ascension of candidate; J2000 [deg]"`
	Dec             float64  `avro:"dec" doc:"Declination of candidate; J2000 [deg]"`
	Magpsf          float32  `avro:"magpsf" doc:"Magnitude from PSF-fit photometry [mag]"`
	Sigmapsf        float32  `avro:"sigmapsf" doc:"1-sigma uncertainty in magpsf [mag]"`
	Chipsf          *float32 `avro:"chipsf" doc:"Reduced chi-square for PSF-fit"`
	Magap           *float32 `avro:"magap" doc:"Aperture mag using 14 pixel diameter aperture [mag]"`
	Sigmagap        *float32 `avro:"sigmagap" doc:"1-sigma uncertainty in magap [mag]"`
	Distnr          *float32 `avro:"distnr" doc:"distance to nearest source in reference image PSF-catalog [pixels]"`
	Magnr           *float32 `avro:"magnr" doc:"magnitude of nearest source in reference image PSF-catalog [mag]"`
	Sigmagnr        *float32 `avro:"sigmagnr" doc:"1-sigma uncertainty in magnr [mag]"`
	Chinr           *float32 `avro:"chinr" doc:"DAOPhot chi parameter of nearest source in reference image PSF-catalog"`
	Sharpnr         *float32 `avro:"sharpnr" doc:"DAOPhot sharp parameter of nearest source in reference image PSF-catalog"`
	Sky             *float32 `avro:"sky" doc:"Local sky background estimate [DN]"`
	Magdiff         *float32 `avro:"magdiff" doc:"Difference: magap - magpsf [mag]"`
	FWHM            *float32 `avro:"fwhm" doc:"Full Width Half Max assuming a Gaussian core, from SExtractor [pixels]"`
	Classtar        *float32 `avro:"classtar" doc:"Star/Galaxy classification score from SExtractor"`
	Mindtoedge      *float32 `avro:"mindtoedge" doc:"Distance to nearest edge in image [pixels]"`
	Magfromlim      *float32 `avro:"magfromlim" doc:"Difference: diffmaglim - magap [mag]"`
	Seeratio        *float32 `avro:"seeratio" doc:"Ratio: difffwhm / fwhm"`
	Aimage          *float32 `avro:"aimage" doc:"Windowed profile RMS afloat major axis from SExtractor [pixels]"`
	Bimage          *float32 `avro:"bimage" doc:"Windowed profile RMS afloat minor axis from SExtractor [pixels]"`
	Aimagerat       *float32 `avro:"aimagerat" doc:"Ratio: aimage / fwhm"`
	Bimagerat       *float32 `avro:"bimagerat" doc:"Ratio: bimage / fwhm"`
	Elong           *float32 `avro:"elong" doc:"Ratio: aimage / bimage"`
	Nneg            *int32   `avro:"nneg" doc:"number of negative pixels in a 5 x 5 pixel stamp"`
	Nbad            *int32   `avro:"nbad" doc:"number of prior-tagged bad pixels in a 5 x 5 pixel stamp"`
	RB              *float32 `avro:"rb" doc:"RealBogus quality score from Random Forest classifier; range is 0 to 1 where closer to 1 is more reliable"`
	SSDistnr        *float32 `avro:"ssdistnr" doc:"distance to nearest known solar system object if exists within 30 arcsec [arcsec]"`
	SSMagnr         *float32 `avro:"ssmagnr" doc:"magnitude of nearest known solar system object if exists within 30 arcsec (usually V-band from MPC archive) [mag]"`
	SSNamenr        *string  `avro:"ssnamenr" doc:"name of nearest known solar system object if exists within 30 arcsec (from MPC archive)"`
	Sumrat          *float32 `avro:"sumrat" doc:"Ratio: sum(pixels) / sum(|pixels|) in a 5 x 5 pixel stamp where stamp is first median-filtered to mitigate outliers"`
	Magapbig        *float32 `avro:"magapbig" doc:"Aperture mag using 18 pixel diameter aperture [mag]"`
	Sigmagapbig     *float32 `avro:"sigmagapbig" doc:"1-sigma uncertainty in magapbig [mag]"`
	RAnr            float64  `avro:"ranr" doc:"Right Ascension of nearest source in reference image PSF-catalog; J2000 [deg]"`
	Decnr           float64  `avro:"decnr" doc:"Declination of nearest source in reference image PSF-catalog; J2000 [deg]"`
	Sgmag1          *float32 `avro:"sgmag1" doc:"g-band PSF-fit magnitude of closest source from PS1 catalog; if exists within 30 arcsec [mag]"`
	Srmag1          *float32 `avro:"srmag1" doc:"r-band PSF-fit magnitude of closest source from PS1 catalog; if exists within 30 arcsec [mag]"`
	Simag1          *float32 `avro:"simag1" doc:"i-band PSF-fit magnitude of closest source from PS1 catalog; if exists within 30 arcsec [mag]"`
	Szmag1          *float32 `avro:"szmag1" doc:"z-band PSF-fit magnitude of closest source from PS1 catalog; if exists within 30 arcsec [mag]"`
	Sgscore1        *float32 `avro:"sgscore1" doc:"Star/Galaxy score of closest source from PS1 catalog; if exists within 30 arcsec: 0 <= sgscore <= 1 where closer to 1 implies higher likelihood of being a star"`
	Distpsnr1       *float32 `avro:"distpsnr1" doc:"Distance to closest source from PS1 catalog; if exists within 30 arcsec [arcsec]"`
	Ndethist        int32    `avro:"ndethist" doc:"Number of spatially-coincident detections falling within 1.5 arcsec going back to beginning of survey; only detections that fell on the same field and readout-channel ID where the input candidate was observed are counted. All raw detections down to a photometric S/N of ~ 3 are included."`
	Ncovhist        int32    `avro:"ncovhist" doc:"Number of times input candidate position fell on any field and readout-channel going back to beginning of survey"`
	JDStartHist     *float64 `avro:"jdstarthist" doc:"Earliest Julian date of epoch corresponding to ndethist [days]"`
	JDEndHist       *float64 `avro:"jdendhist" doc:"Latest Julian date of epoch corresponding to ndethist [days]"`
	Scorr           *float64 `avro:"scorr" doc:"Peak-pixel signal-to-noise ratio in point source matched-filtered detection image"`
	Tooflag         *int32   `avro:"tooflag" doc:"1 => candidate is from a Target-of-Opportunity (ToO) exposure; 0 => candidate is from a non-ToO exposure"`
	ObjectIDPS1     *int64   `avro:"objectidps1" doc:"Object ID of closest source from PS1 catalog; if exists within 30 arcsec"`
	ObjectIDPS2     *int64   `avro:"objectidps2" doc:"Object ID of second closest source from PS1 catalog; if exists within 30 arcsec"`
	Sgmag2          *float32 `avro:"sgmag2" doc:"g-band PSF-fit magnitude of second closest source from PS1 catalog; if exists within 30 arcsec [mag]"`
	Srmag2          *float32 `avro:"srmag2" doc:"r-band PSF-fit magnitude of second closest source from PS1 catalog; if exists within 30 arcsec [mag]"`
	Simag2          *float32 `avro:"simag2" doc:"i-band PSF-fit magnitude of second closest source from PS1 catalog; if exists within 30 arcsec [mag]"`
	Szmag2          *float32 `avro:"szmag2" doc:"z-band PSF-fit magnitude of second closest source from PS1 catalog; if exists within 30 arcsec [mag]"`
	Sgscore2        *float32 `avro:"sgscore2" doc:"Star/Galaxy score of second closest source from PS1 catalog; if exists within 30 arcsec: 0 <= sgscore <= 1 where closer to 1 implies higher likelihood of being a star"`
	Distpsnr2       *float32 `avro:"distpsnr2" doc:"Distance to second closest source from PS1 catalog; if exists within 30 arcsec [arcsec]"`
	ObjectIDPS3     *int64   `avro:"objectidps3" doc:"Object ID of third closest source from PS1 catalog; if exists within 30 arcsec"`
	Sgmag3          *float32 `avro:"sgmag3" doc:"g-band PSF-fit magnitude of third closest source from PS1 catalog; if exists within 30 arcsec [mag]"`
	Srmag3          *float32 `avro:"srmag3" doc:"r-band PSF-fit magnitude of third closest source from PS1 catalog; if exists within 30 arcsec [mag]"`
	Simag3          *float32 `avro:"simag3" doc:"i-band PSF-fit magnitude of third closest source from PS1 catalog; if exists within 30 arcsec [mag]"`
	Szmag3          *float32 `avro:"szmag3" doc:"z-band PSF-fit magnitude of third closest source from PS1 catalog; if exists within 30 arcsec [mag]"`
	Sgscore3        *float32 `avro:"sgscore3" doc:"Star/Galaxy score of third closest source from PS1 catalog; if exists within 30 arcsec: 0 <= sgscore <= 1 where closer to 1 implies higher likelihood of being a star"`
	Distpsnr3       *float32 `avro:"distpsnr3" doc:"Distance to third closest source from PS1 catalog; if exists within 30 arcsec [arcsec]"`
	Nmtchps         int32    `avro:"nmtchps" doc:"Number of source matches from PS1 catalog falling within 30 arcsec"`
	RFID            int64    `avro:"rfid" doc:"Processing ID for reference image to facilitate archive retrieval"`
	JDStartRef      float64  `avro:"jdstartref" doc:"Observation Julian date of earliest exposure used to generate reference image [days]"`
	JDEndRef        float64  `avro:"jdendref" doc:"Observation Julian date of latest exposure used to generate reference image [days]"`
	Nframesref      int32    `avro:"nframesref" doc:"Number of frames (epochal images) used to generate reference image"`
	RBVersion       string   `avro:"rbversion" doc:"version of Random Forest classifier model used to assign RealBogus (rb) quality score"`
	Dsnrms          *float32 `avro:"dsnrms" doc:"Ratio: D/stddev(D) on event position where D = difference image"`
	Ssnrms          *float32 `avro:"ssnrms" doc:"Ratio: S/stddev(S) on event position where S = image of convolution: D (x) PSF(D)"`
	Dsdiff          *float32 `avro:"dsdiff" doc:"Difference of statistics: dsnrms - ssnrms"`
	Magzpsci        *float32 `avro:"magzpsci" doc:"Magnitude zero point for photometry estimates [mag]"`
	Magzpsciunc     *float32 `avro:"magzpsciunc" doc:"Magnitude zero point uncertainty (in magzpsci) [mag]"`
	Magzpscirms     *float32 `avro:"magzpscirms" doc:"RMS (deviation from average) in all differences between instrumental photometry and matched photometric calibrators from science image processing [mag]"`
	Nmatches        int32    `avro:"nmatches" doc:"Number of PS1 photometric calibrators used to calibrate science image from science image processing"`
	Clrcoeff        *float32 `avro:"clrcoeff" doc:"Color coefficient from linear fit from photometric calibration of science image"`
	Clrcounc        *float32 `avro:"clrcounc" doc:"Color coefficient uncertainty from linear fit (corresponding to clrcoeff)"`
	Zpclrcov        *float32 `avro:"zpclrcov" doc:"Covariance in magzpsci and clrcoeff from science image processing [mag^2]"`
	Zpmed           *float32 `avro:"zpmed" doc:"Magnitude zero point from median of all differences between instrumental photometry and matched photometric calibrators from science image processing [mag]"`
	Clrmed          *float32 `avro:"clrmed" doc:"Median color of all PS1 photometric calibrators used from science image processing [mag]: for filter (fid) = 1, 2, 3, PS1 color used = g-r, g-r, r-i respectively"`
	Clrrms          *float32 `avro:"clrrms" doc:"RMS color (deviation from average) of all PS1 photometric calibrators used from science image processing [mag]"`
	Neargaia        *float32 `avro:"neargaia" doc:"Distance to closest source from Gaia DR1 catalog irrespective of magnitude; if exists within 90 arcsec [arcsec]"`
	Neargaiabright  *float32 `avro:"neargaiabright" doc:"Distance to closest source from Gaia DR1 catalog brighter than magnitude 14; if exists within 90 arcsec [arcsec]"`
	Maggaia         *float32 `avro:"maggaia" doc:"Gaia (G-band) magnitude of closest source from Gaia DR1 catalog irrespective of magnitude; if exists within 90 arcsec [mag]"`
	Maggaiabright   *float32 `avro:"maggaiabright" doc:"Gaia (G-band) magnitude of closest source from Gaia DR1 catalog brighter than magnitude 14; if exists within 90 arcsec [mag]"`
	ExpTime         *float32 `avro:"exptime" doc:"Integration time of camera exposure [sec]"`
	DRB             *float32 `avro:"drb" doc:"RealBogus quality score from Deep-Learning-based classifier; range is 0 to 1 where closer to 1 is more reliable"`
	DRBVersion      string   `avro:"drbversion" doc:"version of Deep-Learning-based classifier model used to assign RealBogus (drb) quality score"`

	// Absent holds the fields above held by value that the packet gave no
	// value (see FieldSet).
	Absent FieldSet `avro:"-"`
}

// PrvCandidate is one earlier detection or upper limit of the same object.
type PrvCandidate struct {
	JD                 float64  `avro:"jd" doc:"Observation Julian date at start of exposure [days]"`
	FID                int32    `avro:"fid" doc:"Filter ID (1=g; 2=R; 3=i)"`
	PID                int64    `avro:"pid" doc:"Processing ID for image"`
	Diffmaglim         *float32 `avro:"diffmaglim" doc:"Expected 5-sigma mag limit in difference image based on global noise estimate [mag]"`
	Pdiffimfilename    *string  `avro:"pdiffimfilename" doc:"filename of positive (sci minus ref) difference image"`
	ProgramPI          *string  `avro:"programpi" doc:"Principal investigator attached to program ID"`
	ProgramID          int32    `avro:"programid" doc:"Program ID: encodes either public, collab, or caltech mode"`
	Candid             *int64   `avro:"candid" doc:"Candidate ID from operations DB"`
	IsDiffPos          *string  `avro:"isdiffpos" doc:"t or 1 => candidate is from positive (sci minus ref) subtraction; f or 0 => candidate is from negative (ref minus sci) subtraction"`
	TblID              *int64   `avro:"tblid" doc:"Internal pipeline table extraction ID"`
	NID                *int32   `avro:"nid" doc:"Night ID"`
	RCID               *int32   `avro:"rcid" doc:"Readout channel ID [00 .. 63]"`
	Field              *int32   `avro:"field" doc:"ZTF field ID"`
	XPos               *float32 `avro:"xpos" doc:"x-image position of candidate [pixels]"`
	YPos               *float32 `avro:"ypos" doc:"y-image position of candidate [pixels]"`
	RA                 *float64 `avro:"ra" doc:"Right Ascension of candidate; J2000 [deg]"`
	Dec                *float64 `avro:"dec" doc:"Declination of candidate; J2000 [deg]"`
	Magpsf             *float32 `avro:"magpsf" doc:"Magnitude from PSF-fit photometry [mag]"`
	Sigmapsf           *float32 `avro:"sigmapsf" doc:"1-sigma uncertainty in magpsf [mag]"`
	Chipsf             *float32 `avro:"chipsf" doc:"Reduced chi-square for PSF-fit"`
	Magap              *float32 `avro:"magap" doc:"Aperture mag using 14 pixel diameter aperture [mag]"`
	Sigmagap           *float32 `avro:"sigmagap" doc:"1-sigma uncertainty in magap [mag]"`
	Distnr             *float32 `avro:"distnr" doc:"distance to nearest source in reference image PSF-catalog [pixels]"`
	Magnr              *float32 `avro:"magnr" doc:"magnitude of nearest source in reference image PSF-catalog [mag]"`
	Sigmagnr           *float32 `avro:"sigmagnr" doc:"1-sigma uncertainty in magnr [mag]"`
	Chinr              *float32 `avro:"chinr" doc:"DAOPhot chi parameter of nearest source in reference image PSF-catalog"`
	Sharpnr            *float32 `avro:"sharpnr" doc:"DAOPhot sharp parameter of nearest source in reference image PSF-catalog"`
	Sky                *float32 `avro:"sky" doc:"Local sky background estimate [DN]"`
	Magdiff            *float32 `avro:"magdiff" doc:"Difference: magap - magpsf [mag]"`
	FWHM               *float32 `avro:"fwhm" doc:"Full Width Half Max assuming a Gaussian core, from SExtractor [pixels]"`
	Classtar           *float32 `avro:"classtar" doc:"Star/Galaxy classification score from SExtractor"`
	Mindtoedge         *float32 `avro:"mindtoedge" doc:"Distance to nearest edge in image [pixels]"`
	Magfromlim         *float32 `avro:"magfromlim" doc:"Difference: diffmaglim - magap [mag]"`
	Seeratio           *float32 `avro:"seeratio" doc:"Ratio: difffwhm / fwhm"`
	Aimage             *float32 `avro:"aimage" doc:"Windowed profile RMS afloat major axis from SExtractor [pixels]"`
	Bimage             *float32 `avro:"bimage" doc:"Windowed profile RMS afloat minor axis from SExtractor [pixels]"`
	Aimagerat          *float32 `avro:"aimagerat" doc:"Ratio: aimage / fwhm"`
	Bimagerat          *float32 `avro:"bimagerat" doc:"Ratio: bimage / fwhm"`
	Elong              *float32 `avro:"elong" doc:"Ratio: aimage / bimage"`
	Nneg               *int32   `avro:"nneg" doc:"number of negative pixels in a 5 x 5 pixel stamp"`
	Nbad               *int32   `avro:"nbad" doc:"number of prior-tagged bad pixels in a 5 x 5 pixel stamp"`
	RB                 *float32 `avro:"rb" doc:"RealBogus quality score; range is 0 to 1 where closer to 1 is more reliable"`
	SSDistnr           *float32 `avro:"ssdistnr" doc:"distance to nearest known solar system object if exists within 30 arcsec [arcsec]"`
	SSMagnr            *float32 `avro:"ssmagnr" doc:"magnitude of nearest known solar system object if exists within 30 arcsec (usually V-band from MPC archive) [mag]"`
	SSNamenr           *string  `avro:"ssnamenr" doc:"name of nearest known solar system object if exists within 30 arcsec (from MPC archive)"`
	Sumrat             *float32 `avro:"sumrat" doc:"Ratio: sum(pixels) / sum(|pixels|) in a 5 x 5 pixel stamp where stamp is first median-filtered to mitigate outliers"`
	Magapbig           *float32 `avro:"magapbig" doc:"Aperture mag using 18 pixel diameter aperture [mag]"`
	Sigmagapbig        *float32 `avro:"sigmagapbig" doc:"1-sigma uncertainty in magapbig [mag]"`
	RAnr               *float64 `avro:"ranr" doc:"Right Ascension of nearest source in reference image PSF-catalog; J2000 [deg]"`
	Decnr              *float64 `avro:"decnr" doc:"Declination of nearest source in reference image PSF-catalog; J2000 [deg]"`
	Scorr              *float64 `avro:"scorr" doc:"Peak-pixel signal-to-noise ratio in point source matched-filtered detection image"`
	Magzpsci           *float32 `avro:"magzpsci" doc:"Magnitude zero point for photometry estimates [mag]"`
	Magzpsciunc        *float32 `avro:"magzpsciunc" doc:"Magnitude zero point uncertainty (in magzpsci) [mag]"`
	Magzpscirms        *float32 `avro:"magzpscirms" doc:"RMS (deviation from average) in all differences between instrumental photometry and matched photometric calibrators from science image processing [mag]"`
	Clrcoeff           *float32 `avro:"clrcoeff" doc:"Color coefficient from linear fit from photometric calibration of science image"`
	Clrcounc           *float32 `avro:"clrcounc" doc:"Color coefficient uncertainty from linear fit (corresponding to clrcoeff)"`
	RBVersion          string   `avro:"rbversion" doc:"version of RealBogus model/classifier used to assign rb quality score"`
	RFID               int64    `avro:"rfid" doc:"Processing ID for reference image to facilitate archive retrieval"`
	Sciinpseeing       *float32 `avro:"sciinpseeing" doc:"Effective FWHM of sci image [pixels]"`
	Scibckgnd          *float32 `avro:"scibckgnd" doc:"Background level in sci image [DN]"`
	Scisigpix          *float32 `avro:"scisigpix" doc:"Robust sigma per pixel in sci image [DN]"`
	ExpTime            *float32 `avro:"exptime" doc:"Integration time of camera exposure [sec]"`
	Adpctdif1          *float32 `avro:"adpctdif1" doc:"Full sci image astrometric RMS along R.A. with respect to Gaia1 [arcsec]"`
	Adpctdif2          *float32 `avro:"adpctdif2" doc:"Full sci image astrometric RMS along Dec. with respect to Gaia1 [arcsec]"`
	Forcediffimflux    *float32 `avro:"forcediffimflux" doc:"Forced difference image PSF-fit flux [DN]"`
	Forcediffimfluxunc *float32 `avro:"forcediffimfluxunc" doc:"1-sigma uncertainty in forcediffimflux [DN]"`
	Procstatus         *string  `avro:"procstatus" doc:"Forced photometry processing status codes (0 => no warnings); see documentation"`

	// Absent holds the fields above held by value that the packet gave no
	// value (see FieldSet): rfid, which ZTF's prv_candidate never had.
	Absent FieldSet `avro:"-"`
}

// FPHist is one forced-photometry measurement at the position of the
// object (schema 4.x). ZTF writes -99999 for values it could not measure.
type FPHist struct {
	Field              *int32   `avro:"field" doc:"ZTF field ID"`
	RCID               *int32   `avro:"rcid" doc:"Readout channel ID [00 .. 63]"`
	FID                int32    `avro:"fid" doc:"Filter ID (1=g; 2=R; 3=i)"`
	PID                int64    `avro:"pid" doc:"Processing ID for image"`
	RFID               int64    `avro:"rfid" doc:"Processing ID for reference image to facilitate archive retrieval"`
	Sciinpseeing       *float32 `avro:"sciinpseeing" doc:"Effective FWHM of sci image [pixels]"`
	Scibckgnd          *float32 `avro:"scibckgnd" doc:"Background level in sci image [DN]"`
	Scisigpix          *float32 `avro:"scisigpix" doc:"Robust sigma per pixel in sci image [DN]"`
	Magzpsci           *float32 `avro:"magzpsci" doc:"Magnitude zero point for photometry estimates [mag]"`
	Magzpsciunc        *float32 `avro:"magzpsciunc" doc:"Magnitude zero point uncertainty (in magzpsci) [mag]"`
	Magzpscirms        *float32 `avro:"magzpscirms" doc:"RMS (deviation from average) in all differences between instrumental photometry and matched photometric calibrators from science image processing [mag]"`
	Clrcoeff           *float32 `avro:"clrcoeff" doc:"Color coefficient from linear fit from photometric calibration of science image"`
	Clrcounc           *float32 `avro:"clrcounc" doc:"Color coefficient uncertainty from linear fit (corresponding to clrcoeff)"`
	ExpTime            *float32 `avro:"exptime" doc:"Integration time of camera exposure [sec]"`
	Adpctdif1          *float32 `avro:"adpctdif1" doc:"Full sci image astrometric RMS along R.A. with respect to Gaia1 [arcsec]"`
	Adpctdif2          *float32 `avro:"adpctdif2" doc:"Full sci image astrometric RMS along Dec. with respect to Gaia1 [arcsec]"`
	Diffmaglim         *float32 `avro:"diffmaglim" doc:"Expected 5-sigma mag limit in difference image based on global noise estimate [mag]"`
	ProgramID          int32    `avro:"programid" doc:"Program ID: encodes either public, collab, or caltech mode"`
	JD                 float64  `avro:"jd" doc:"Observation Julian date at start of exposure [days]"`
	Forcediffimflux    *float32 `avro:"forcediffimflux" doc:"Forced difference image PSF-fit flux [DN]"`
	Forcediffimfluxunc *float32 `avro:"forcediffimfluxunc" doc:"1-sigma uncertainty in forcediffimflux [DN]"`
	Procstatus         *string  `avro:"procstatus" doc:"Forced photometry processing status codes (0 => no warnings); see documentation"`
	Distnr             *float32 `avro:"distnr" doc:"distance to nearest source in reference image PSF-catalog [arcsec]"`
	RAnr               float64  `avro:"ranr" doc:"Right Ascension of nearest source in reference image PSF-catalog; J2000 [deg]"`
	Decnr              float64  `avro:"decnr" doc:"Declination of nearest source in reference image PSF-catalog; J2000 [deg]"`
	Magnr              *float32 `avro:"magnr" doc:"magnitude of nearest source in reference image PSF-catalog [mag]"`
	Sigmagnr           *float32 `avro:"sigmagnr" doc:"1-sigma uncertainty in magnr [mag]"`
	Chinr              *float32 `avro:"chinr" doc:"DAOPhot chi parameter of nearest source in reference image PSF-catalog"`
	Sharpnr            *float32 `avro:"sharpnr" doc:"DAOPhot sharp parameter of nearest source in reference image PSF-catalog"`

	// Absent holds the fields above held by value that the packet gave no
	// value (see FieldSet).
	Absent FieldSet `avro:"-"`
}

// Cutout is a 63x63 pixel image stamp around the candidate.
type Cutout struct {
	FileName  string `avro:"fileName" doc:"file name of the cutout"`
	StampData []byte `avro:"stampData" doc:"gzip-compressed FITS image"`
}
