package simulate

import (
	"bytes"
	"testing"
	"time"

	"github.com/ztfbridge/ztfbridge/internal/core/alert"
	"github.com/ztfbridge/ztfbridge/internal/core/night"
	"github.com/ztfbridge/ztfbridge/internal/dev/synth"
)

func TestGenerated(t *testing.T) {
	cfg := synth.Config{Night: night.Of(time.Date(2024, 7, 15, 0, 0, 0, 0, time.UTC)), Seed: 3}
	tests := []struct {
		name string
		n    int
	}{{"none", 0}, {"one", 1}, {"several", 25}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := Generated(cfg, tt.n)
			var first [][]byte
			for b, err := range src() {
				if err != nil {
					t.Fatal(err)
				}
				first = append(first, b)
			}
			if len(first) != tt.n {
				t.Fatalf("yielded %d packets, want %d", len(first), tt.n)
			}
			dec := alert.NewDecoder()
			candids := map[int64]bool{}
			i := 0
			for b, err := range src() {
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(b, first[i]) {
					t.Errorf("packet %d differs in the second pass", i)
				}
				alerts, err := dec.Decode(b)
				if err != nil || len(alerts) != 1 {
					t.Fatalf("packet %d: %d alerts, %v", i, len(alerts), err)
				}
				candids[alerts[0].Candid] = true
				i++
			}
			if len(candids) != tt.n {
				t.Errorf("%d distinct candids in %d packets", len(candids), tt.n)
			}
		})
	}
}
