// Package bench measures what each ztfbridge component spends per alert
// next to the raw client doing the raw part of its job, on the local
// stack, and projects a night's cost from those figures and a price list.
//
// The figure is own CPU: the user+system CPU time of the component's own
// OS process (the real binary: "ztfbridge connect", "ztfbridge
// serve-function", "ztfbridge load") over the span in which it does the
// measured work, divided by the alerts of that span; and the same for a
// raw client run as its own process ("ztfbridge-dev raw ..."). The
// servers (kfake and fake-gcs-server in the bench's process, the Pub/Sub
// and BigQuery emulators in theirs) are never counted. Rates are printed
// too, but on a small shared machine they say more about the emulators
// than about ztfbridge; the ratio of own CPU per alert in the same run is
// what the bench is for.
//
// Every pass runs Rounds times, raw and component in turn; the report
// keeps each round and prints the minimum and the median.
package bench

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// Sample is one pass of one round: the alerts handled, the bytes of
// their packets, the wall time and the process's CPU time over them, and
// the bytes of log it wrote meanwhile (its stderr, which Cloud Logging
// takes in on GCP).
type Sample struct {
	Alerts   int
	Bytes    int64
	Elapsed  time.Duration
	CPU      time.Duration
	LogBytes int64
}

// CPUPerAlert is the CPU time per alert.
func (s Sample) CPUPerAlert() time.Duration {
	if s.Alerts == 0 {
		return 0
	}
	return s.CPU / time.Duration(s.Alerts)
}

// LogPerAlert is the bytes of log per alert.
func (s Sample) LogPerAlert() float64 {
	if s.Alerts == 0 {
		return 0
	}
	return float64(s.LogBytes) / float64(s.Alerts)
}

// Rate is alerts per second of wall time.
func (s Sample) Rate() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Alerts) / s.Elapsed.Seconds()
}

// Pass is one kind of measured work, over every round.
type Pass struct {
	Name   string
	Rounds []Sample
}

// CPUPerAlert returns the minimum and median CPU time per alert over the
// rounds.
func (p *Pass) CPUPerAlert() (lo, median time.Duration) {
	return minMedian(p.Rounds, Sample.CPUPerAlert)
}

// Rate returns the minimum and median alerts per second over the rounds.
func (p *Pass) Rate() (lo, median float64) { return minMedian(p.Rounds, Sample.Rate) }

// LogPerAlert returns the median bytes of log per alert over the rounds.
func (p *Pass) LogPerAlert() float64 {
	_, median := minMedian(p.Rounds, Sample.LogPerAlert)
	return median
}

func minMedian[T int64 | float64 | time.Duration](samples []Sample, f func(Sample) T) (lo, median T) {
	if len(samples) == 0 {
		return 0, 0
	}
	v := make([]T, len(samples))
	for i, s := range samples {
		v[i] = f(s)
	}
	lo, median, _ = spread(v)
	return lo, median
}

// spread sorts v, which must not be empty, and returns its minimum,
// median and maximum.
func spread[T int64 | float64 | time.Duration](v []T) (lo, median, hi T) {
	slices.Sort(v)
	if n := len(v); n%2 == 1 {
		median = v[n/2]
	} else {
		median = (v[n/2-1] + v[n/2]) / 2
	}
	return v[0], median, v[len(v)-1]
}

// Ratio compares a component's pass with the sum of raw passes: own CPU
// per alert of the one over that of the others.
type Ratio struct {
	Component string   // name of a pass
	Raw       []string // names of passes, summed
	Target    float64  // the most the ratio should be; 0 for none
}

// Report is one bench's result.
type Report struct {
	Bench  string // "connect", "function" or "load"
	Setup  string // what ran, one line or a few
	Passes []*Pass
	Ratios []Ratio
	// Figures are other measured inputs of the projection, by name.
	Figures map[string]float64
}

// Pass returns the pass named name, adding it if it is new.
func (r *Report) Pass(name string) *Pass {
	for _, p := range r.Passes {
		if p.Name == name {
			return p
		}
	}
	p := &Pass{Name: name}
	r.Passes = append(r.Passes, p)
	return p
}

// Add appends s to the rounds of the pass named name.
func (r *Report) Add(name string, s Sample) {
	p := r.Pass(name)
	p.Rounds = append(p.Rounds, s)
}

// Median returns the median CPU time per alert of the pass named name
// (zero if there is none).
func (r *Report) Median(name string) time.Duration {
	for _, p := range r.Passes {
		if p.Name == name {
			_, m := p.CPUPerAlert()
			return m
		}
	}
	return 0
}

// MedianLog returns the median bytes of log per alert of the pass named
// name (zero if there is none).
func (r *Report) MedianLog(name string) float64 {
	for _, p := range r.Passes {
		if p.Name == name {
			return p.LogPerAlert()
		}
	}
	return 0
}

// MeanBytes is the mean packet size of the pass named name.
func (r *Report) MeanBytes(name string) float64 {
	for _, p := range r.Passes {
		if p.Name == name && len(p.Rounds) > 0 && p.Rounds[0].Alerts > 0 {
			return float64(p.Rounds[0].Bytes) / float64(p.Rounds[0].Alerts)
		}
	}
	return 0
}

// Value returns the ratio's minimum (the component's minimum over the sum
// of the raw minimums) and median (likewise with medians).
func (r *Report) Value(q Ratio) (lo, median float64) {
	var rawLo, rawMed time.Duration
	for _, name := range q.Raw {
		for _, p := range r.Passes {
			if p.Name == name {
				l, m := p.CPUPerAlert()
				rawLo, rawMed = rawLo+l, rawMed+m
			}
		}
	}
	var compLo, compMed time.Duration
	for _, p := range r.Passes {
		if p.Name == q.Component {
			compLo, compMed = p.CPUPerAlert()
		}
	}
	if rawLo == 0 || rawMed == 0 {
		return 0, 0
	}
	return float64(compLo) / float64(rawLo), float64(compMed) / float64(rawMed)
}

// Paired returns the ratio round by round (the component's CPU per alert
// in round i over the sum of the raw passes' in the same round) and its
// minimum, median and maximum over the rounds. The rounds run raw and
// component in turn, so a paired ratio shares the machine's state of its
// round and swings less than the ratio of medians Value gives. Rounds
// missing from any pass are left out.
func (r *Report) Paired(q Ratio) (lo, median, hi float64, rounds int) {
	passes := map[string]*Pass{}
	for _, p := range r.Passes {
		passes[p.Name] = p
	}
	comp := passes[q.Component]
	if comp == nil {
		return 0, 0, 0, 0
	}
	var ratios []float64
round:
	for i, c := range comp.Rounds {
		var raw time.Duration
		for _, name := range q.Raw {
			p := passes[name]
			if p == nil || i >= len(p.Rounds) {
				continue round
			}
			raw += p.Rounds[i].CPUPerAlert()
		}
		if raw > 0 {
			ratios = append(ratios, float64(c.CPUPerAlert())/float64(raw))
		}
	}
	if len(ratios) == 0 {
		return 0, 0, 0, 0
	}
	lo, median, hi = spread(ratios)
	return lo, median, hi, len(ratios)
}

// Print writes the report: per pass the own CPU per alert and the rate,
// minimum and median over the rounds, and the median bytes of log per
// alert; then the ratios.
func (r *Report) Print(w io.Writer) {
	fmt.Fprintf(w, "== bench %s: %s\n", r.Bench, r.Setup)
	fmt.Fprintf(w, "%-46s %6s %7s %12s %12s %10s %10s %11s\n", "pass (own CPU of its process)", "rounds", "alerts", "µs/alert min", "µs/alert med", "alerts/s min", "med", "log B/alert")
	for _, p := range r.Passes {
		lo, med := p.CPUPerAlert()
		rlo, rmed := p.Rate()
		alerts := 0
		if len(p.Rounds) > 0 {
			alerts = p.Rounds[0].Alerts
		}
		fmt.Fprintf(w, "%-46s %6d %7d %12.0f %12.0f %10.0f %10.0f %11.0f\n", p.Name, len(p.Rounds), alerts, micros(lo), micros(med), rlo, rmed, p.LogPerAlert())
	}
	for _, q := range r.Ratios {
		lo, med := r.Value(q)
		verdict := ""
		if q.Target > 0 {
			verdict = fmt.Sprintf("  target ≤ %.2f: ", q.Target)
			if med <= q.Target {
				verdict += "met"
			} else {
				verdict += "ABOVE"
			}
		}
		fmt.Fprintf(w, "ratio %s / (%s) = %.2f median, %.2f min%s\n", q.Component, strings.Join(q.Raw, " + "), med, lo, verdict)
		if plo, pmed, phi, n := r.Paired(q); n > 1 {
			fmt.Fprintf(w, "  paired round by round (%d rounds): %.2f min, %.2f median, %.2f max\n", n, plo, pmed, phi)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(r.Figures)) {
		fmt.Fprintf(w, "%s: %.0f\n", name, r.Figures[name])
	}
}

func micros(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
