package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// Gauge is a value that goes up and down, over a prometheus.Gauge. Its
// methods are safe for concurrent use. A nil *Gauge does nothing.
type Gauge struct {
	g prometheus.Gauge
}

var _ prometheus.Collector = (*Gauge)(nil)

// Describe implements prometheus.Collector.
func (g *Gauge) Describe(ch chan<- *prometheus.Desc) { g.g.Describe(ch) }

// Collect implements prometheus.Collector.
func (g *Gauge) Collect(ch chan<- prometheus.Metric) { g.g.Collect(ch) }

// Set sets the gauge to v.
func (g *Gauge) Set(v float64) {
	if g != nil {
		g.g.Set(v)
	}
}

// Add adds d (which may be negative).
func (g *Gauge) Add(d float64) {
	if g != nil {
		g.g.Add(d)
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
	var m dto.Metric
	if err := g.g.Write(&m); err != nil {
		return 0
	}
	return m.GetGauge().GetValue()
}

// Histogram counts observations into buckets, over a
// prometheus.Histogram. Its methods are safe for concurrent use. A nil
// *Histogram does nothing.
type Histogram struct {
	h prometheus.Histogram
}

var _ prometheus.Collector = (*Histogram)(nil)

// Describe implements prometheus.Collector.
func (h *Histogram) Describe(ch chan<- *prometheus.Desc) { h.h.Describe(ch) }

// Collect implements prometheus.Collector.
func (h *Histogram) Collect(ch chan<- prometheus.Metric) { h.h.Collect(ch) }

// Observe records v.
func (h *Histogram) Observe(v float64) {
	if h != nil {
		h.h.Observe(v)
	}
}

// ObserveDuration records d in seconds.
func (h *Histogram) ObserveDuration(d time.Duration) { h.Observe(d.Seconds()) }

// Since records the time since start, in seconds.
func (h *Histogram) Since(start time.Time) {
	if h != nil {
		h.h.Observe(time.Since(start).Seconds())
	}
}

// Count returns how many values were observed (0 for nil).
func (h *Histogram) Count() uint64 {
	if h == nil {
		return 0
	}
	var m dto.Metric
	if err := h.h.Write(&m); err != nil {
		return 0
	}
	return m.GetHistogram().GetSampleCount()
}
