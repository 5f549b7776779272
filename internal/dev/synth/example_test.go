package synth_test

import (
	"fmt"

	"github.com/ztfbridge/ztfbridge/internal/core/alert"
	"github.com/ztfbridge/ztfbridge/internal/core/night"
	"github.com/ztfbridge/ztfbridge/internal/dev/synth"
)

// Generate a few alerts of a night and decode them as the pipeline will.
func ExampleGenerator_Next() {
	n, _ := night.Parse("20240715")
	g, err := synth.New(synth.Config{Night: n, Seed: 42, Objects: 10})
	if err != nil {
		fmt.Println(err)
		return
	}
	d := alert.NewDecoder()
	for range 3 {
		p, err := g.Next() // p.Data is the Kafka message: one Avro container
		if err != nil {
			fmt.Println(err)
			return
		}
		alerts, err := d.Decode(p.Data)
		if err != nil {
			fmt.Println(err)
			return
		}
		a := alerts[0]
		fmt.Println(a.Candid == p.Candid, a.Topic(), a.SchemaVsn, len(p.Data) > 60_000, len(a.Cutouts()))
	}
	// Output:
	// true ztf_20240715_programid1 4.02 true 3
	// true ztf_20240715_programid1 4.02 true 3
	// true ztf_20240715_programid1 4.02 true 3
}
