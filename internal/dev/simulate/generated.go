package simulate

import (
	"iter"

	"github.com/ztfbridge/ztfbridge/internal/dev/synth"
)

// Generated returns a Source yielding the first n synthetic alerts of the
// night cfg describes (package synth). Each pass starts a new generator
// from cfg, so the replay yields the same packets, byte for byte.
func Generated(cfg synth.Config, n int) Source {
	return func() iter.Seq2[[]byte, error] {
		return func(yield func([]byte, error) bool) {
			g, err := synth.New(cfg)
			if err != nil {
				yield(nil, err)
				return
			}
			for range n {
				p, err := g.Next()
				if !yield(p.Data, err) || err != nil {
					return
				}
			}
		}
	}
}
