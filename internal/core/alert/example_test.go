package alert_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ztfbridge/ztfbridge/internal/core/alert"
)

// Decode a real ZTF packet: one container file, one alert.
func ExampleDecoder_Decode() {
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "shared", "ztf-alerts",
		"boom-astro+boom", "data", "alerts", "2752190655615010016.avro"))
	if err != nil {
		fmt.Println(err)
		return
	}
	d := alert.NewDecoder() // share one Decoder: it keeps the parsed schemas
	alerts, err := d.Decode(b)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, a := range alerts {
		fmt.Println(a.Candid, a.ObjectID, a.SchemaVsn, a.Topic())
		fmt.Println(len(a.PrvCandidates), "previous candidates,", a.UpperLimits(), "upper limits,",
			len(a.FPHists), "forced photometry points,", len(a.Cutouts()), "cutouts")
	}

	_, err = d.Decode([]byte("not an alert"))
	fmt.Println(errors.Is(err, alert.ErrNotContainer))
	// Output:
	// 2752190655615010016 ZTF19aaococq 4.02 ztf_20240715_programid1
	// 29 previous candidates, 14 upper limits, 19 forced photometry points, 3 cutouts
	// true
}
