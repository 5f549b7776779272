package night_test

import (
	"flag"
	"fmt"
	"time"

	"github.com/ztfbridge/ztfbridge/internal/core/night"
)

// A night from a flag, a topic or a time, and what is named after it.
func Example() {
	fs := flag.NewFlagSet("count", flag.ContinueOnError)
	var n night.Night
	fs.TextVar(&n, "night", night.Night{}, "the night, `YYYYMMDD`")
	if err := fs.Parse([]string{"--night", "20201227"}); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(n, n.Topic(), n.ObjectGlob())
	fmt.Println(n.NID(), n.Civil(), n.AddDays(1))

	t, err := night.FromTopic("ztf_20201227_programid1")
	fmt.Println(t == n, err)
	// 23:30 in California is already the next UTC date.
	late := time.Date(2020, 12, 27, 23, 30, 0, 0, time.FixedZone("PST", -8*3600))
	fmt.Println(night.Of(late))
	// Output:
	// 20201227 ztf_20201227_programid1 ztf_20201227_programid1_*.avro
	// 1456 2020-12-27 20201228
	// true <nil>
	// 20201228
}
