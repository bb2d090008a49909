package metrics

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// MaxSeries caps the label-value combinations of one CounterVec. Past it,
// new combinations all count into one series whose label values are
// OverflowValue, so a label fed by mistake from client input cannot grow
// memory or scrapes without bound.
const MaxSeries = 1000

// OverflowValue labels the series that absorbs combinations past MaxSeries.
const OverflowValue = "__overflow__"

// Counter is a count that only goes up. Its methods are lock-free and safe
// for concurrent use. A nil *Counter does nothing, so optional metrics need
// no nil checks at call sites.
type Counter struct {
	v      atomic.Uint64
	values []string // label values, in the vector's label order
}

// Inc adds one.
func (c *Counter) Inc() {
	if c != nil {
		c.v.Add(1)
	}
}

// Add adds n.
func (c *Counter) Add(n uint64) {
	if c != nil {
		c.v.Add(n)
	}
}

// Value returns the current count (0 for nil).
func (c *Counter) Value() uint64 {
	if c == nil {
		return 0
	}
	return c.v.Load()
}

// CounterVec is a counter family: one Counter per combination of label
// values. A vector without labels has a single Counter, With(). A nil
// *CounterVec returns nil Counters.
type CounterVec struct {
	help   string
	labels []string

	mu       sync.RWMutex
	children map[string]*Counter // by key(label values)
}

var _ family = (*CounterVec)(nil)

func newCounterVec(help string, labels []string) *CounterVec {
	return &CounterVec{help: help, labels: slices.Clone(labels), children: make(map[string]*Counter)}
}

// With returns the Counter for labelValues, given in the order of the
// vector's label names, creating it on first use. Callers on a hot path
// should keep the returned Counter; With itself takes a read lock and, once
// the series exists, does not allocate (for values of up to 128 bytes in all). Invalid UTF-8 in a value is replaced
// by U+FFFD. It panics when the number of values is wrong.
func (v *CounterVec) With(labelValues ...string) *Counter {
	if v == nil {
		return nil
	}
	if len(labelValues) != len(v.labels) {
		panic(fmt.Sprintf("metrics: %d label values for labels %v", len(labelValues), v.labels))
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
	c := &Counter{values: clean}
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

func (v *CounterVec) describe() (string, string) { return v.help, "counter" }

func (v *CounterVec) same(other family) bool {
	o, ok := other.(*CounterVec)
	return ok && o.help == v.help && slices.Equal(o.labels, v.labels)
}

// collect appends one sample per series, sorted by label values.
func (v *CounterVec) collect(dst []sample) []sample {
	v.mu.RLock()
	children := make([]*Counter, 0, len(v.children))
	for _, c := range v.children {
		children = append(children, c)
	}
	v.mu.RUnlock()
	slices.SortFunc(children, func(a, b *Counter) int { return slices.Compare(a.values, b.values) })
	for _, c := range children {
		dst = append(dst, sample{labelNames: v.labels, labelValues: c.values,
			value: strconv.FormatUint(c.Value(), 10)})
	}
	return dst
}
