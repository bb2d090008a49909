package metrics

import (
	"fmt"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// MaxSeries caps the label-value combinations of one CounterVec. Past it,
// new combinations all count into one series whose label values are
// OverflowValue, so a label fed by mistake from client input cannot grow
// memory or scrapes without bound.
const MaxSeries = 1000

// OverflowValue labels the series that absorbs combinations past MaxSeries.
const OverflowValue = "__overflow__"

// Counter is a count that only goes up: one series of a CounterVec. Its
// methods are safe for concurrent use. A nil *Counter does nothing, so
// optional metrics need no nil checks at call sites.
type Counter struct {
	c prometheus.Counter
}

// Inc adds one.
func (c *Counter) Inc() {
	if c != nil {
		c.c.Inc()
	}
}

// Add adds n.
func (c *Counter) Add(n uint64) {
	if c != nil {
		c.c.Add(float64(n))
	}
}

// Value returns the current count (0 for nil).
func (c *Counter) Value() uint64 {
	if c == nil {
		return 0
	}
	var m dto.Metric
	if err := c.c.Write(&m); err != nil {
		return 0
	}
	return uint64(m.GetCounter().GetValue())
}

// CounterVec is a counter family over a prometheus.CounterVec: one Counter
// per combination of label values. A vector without labels has a single
// Counter, With(). A nil *CounterVec returns nil Counters.
type CounterVec struct {
	vec    *prometheus.CounterVec
	labels int

	mu       sync.RWMutex
	children map[string]*Counter // by key(label values)
}

var _ prometheus.Collector = (*CounterVec)(nil)

// Describe implements prometheus.Collector.
func (v *CounterVec) Describe(ch chan<- *prometheus.Desc) { v.vec.Describe(ch) }

// Collect implements prometheus.Collector.
func (v *CounterVec) Collect(ch chan<- prometheus.Metric) { v.vec.Collect(ch) }

// With returns the Counter for labelValues, given in the order of the
// vector's label names, creating it on first use. Callers on a hot path
// should keep the returned Counter; With itself takes a read lock and, once
// the series exists, does not allocate (for values of up to 128 bytes in
// all). Invalid UTF-8 in a value is replaced by U+FFFD. It panics when the
// number of values is wrong.
func (v *CounterVec) With(labelValues ...string) *Counter {
	if v == nil {
		return nil
	}
	if len(labelValues) != v.labels {
		panic(fmt.Sprintf("metrics: %d label values for %d labels", len(labelValues), v.labels))
	}
	var buf [128]byte
	key := appendKey(buf[:0], labelValues)
	v.mu.RLock()
	c := v.children[string(key)]
	v.mu.RUnlock()
	if c != nil {
		return c
	}
	return v.add(labelValues)
}

// add creates the series for values (or finds it under the write lock).
func (v *CounterVec) add(values []string) *Counter {
	clean := make([]string, len(values))
	for i, s := range values {
		clean[i] = strings.ToValidUTF8(s, "\uFFFD")
	}
	key := string(appendKey(nil, clean))
	v.mu.Lock()
	defer v.mu.Unlock()
	if c := v.children[key]; c != nil {
		return c
	}
	if len(v.children) >= MaxSeries {
		for i := range clean {
			clean[i] = OverflowValue
		}
		key = string(appendKey(nil, clean))
		if c := v.children[key]; c != nil {
			return c
		}
	}
	c := &Counter{c: v.vec.WithLabelValues(clean...)}
	v.children[key] = c
	return c
}

// appendKey joins label values with 0xFF, a byte that never occurs in
// UTF-8: keys of cleaned values cannot collide, and a raw key that holds
// invalid UTF-8 never matches one.
func appendKey(b []byte, values []string) []byte {
	for i, s := range values {
		if i > 0 {
			b = append(b, 0xff)
		}
		b = append(b, s...)
	}
	return b
}
