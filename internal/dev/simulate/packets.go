package simulate

import "iter"

// Packets returns a Source yielding packets, in order, unchanged: for
// tests and benchmarks that hold the bytes they produce.
func Packets(packets [][]byte) Source {
	return func() iter.Seq2[[]byte, error] {
		return func(yield func([]byte, error) bool) {
			for _, p := range packets {
				if !yield(p, nil) {
					return
				}
			}
		}
	}
}
