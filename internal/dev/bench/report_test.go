package bench

import (
	"testing"
	"time"
)

// rounds gives one Sample of 1000 alerts per CPU time in µs per alert.
func rounds(micros ...int) []Sample {
	s := make([]Sample, len(micros))
	for i, m := range micros {
		s[i] = Sample{Alerts: 1000, CPU: time.Duration(m) * time.Millisecond}
	}
	return s
}

func TestPaired(t *testing.T) {
	tests := []struct {
		name           string
		passes         []*Pass
		raw            []string
		lo, median, hi float64
		n              int
	}{
		{
			// The ratio of medians (300/200 = 1.5) mixes rounds; paired,
			// every round's component ran as its raw client did: 1.0 each.
			name: "a slow round slows both",
			passes: []*Pass{
				{Name: "raw", Rounds: rounds(100, 200, 400)},
				{Name: "comp", Rounds: rounds(100, 200, 400)},
			},
			raw: []string{"raw"}, lo: 1, median: 1, hi: 1, n: 3,
		},
		{
			name: "raw passes summed per round",
			passes: []*Pass{
				{Name: "recv", Rounds: rounds(50, 100)},
				{Name: "write", Rounds: rounds(50, 100)},
				{Name: "comp", Rounds: rounds(120, 300)},
			},
			raw: []string{"recv", "write"}, lo: 1.2, median: 1.35, hi: 1.5, n: 2,
		},
		{
			name: "a round missing from a raw pass is left out",
			passes: []*Pass{
				{Name: "raw", Rounds: rounds(100)},
				{Name: "comp", Rounds: rounds(200, 900)},
			},
			raw: []string{"raw"}, lo: 2, median: 2, hi: 2, n: 1,
		},
		{
			name:   "no raw pass",
			passes: []*Pass{{Name: "comp", Rounds: rounds(200)}},
			raw:    []string{"raw"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Report{Passes: tt.passes}
			lo, median, hi, n := r.Paired(Ratio{Component: "comp", Raw: tt.raw})
			if lo != tt.lo || median != tt.median || hi != tt.hi || n != tt.n {
				t.Errorf("Paired = %.2f, %.2f, %.2f over %d rounds; want %.2f, %.2f, %.2f over %d",
					lo, median, hi, n, tt.lo, tt.median, tt.hi, tt.n)
			}
		})
	}
}
