package metrics

import (
	"math"
	"sync/atomic"
)

// Gauge is a value that goes up and down. Its methods are lock-free and
// safe for concurrent use. A nil *Gauge does nothing.
type Gauge struct {
	help string
	bits atomic.Uint64 // math.Float64bits of the value
}

var _ family = (*Gauge)(nil)

// Set sets the gauge to v.
func (g *Gauge) Set(v float64) {
	if g != nil {
		g.bits.Store(math.Float64bits(v))
	}
}

// Add adds d (which may be negative).
func (g *Gauge) Add(d float64) {
	if g == nil {
		return
	}
	for {
		old := g.bits.Load()
		if g.bits.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+d)) {
			return
		}
	}
}

// Inc adds one.
func (g *Gauge) Inc() { g.Add(1) }

// Dec subtracts one.
func (g *Gauge) Dec() { g.Add(-1) }

// Value returns the current value (0 for nil).
func (g *Gauge) Value() float64 {
	if g == nil {
		return 0
	}
	return math.Float64frombits(g.bits.Load())
}

func (g *Gauge) describe() (string, string) { return g.help, "gauge" }

func (g *Gauge) same(other family) bool {
	o, ok := other.(*Gauge)
	return ok && o.help == g.help
}

func (g *Gauge) collect(dst []sample) []sample {
	return append(dst, sample{value: formatFloat(g.Value())})
}

// gaugeFunc is a gauge read from a function at scrape time.
type gaugeFunc struct {
	help string
	fn   func() float64
}

var _ family = (*gaugeFunc)(nil)

func (g *gaugeFunc) describe() (string, string) { return g.help, "gauge" }

// same is false: two functions cannot be compared, so a second GaugeFunc
// under one name is refused.
func (g *gaugeFunc) same(family) bool { return false }

func (g *gaugeFunc) collect(dst []sample) []sample {
	return append(dst, sample{value: formatFloat(g.fn())})
}
