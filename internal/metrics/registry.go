// Package metrics is a small Prometheus client: counters (with labels),
// gauges and gauge functions, exposed in the text format 0.0.4. It uses the
// standard library only. Updates are lock-free atomics; a scrape takes a
// snapshot without stopping writers.
//
// Registering is meant for start-up: a bad name, a conflicting second
// registration or a wrong number of label values is a programming error
// and panics, like an out-of-range index.
package metrics

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sync"
)

// Registry holds metric families and serves them. The zero value is not
// usable; call NewRegistry. All methods are safe for concurrent use.
type Registry struct {
	mu       sync.Mutex
	families map[string]family
}

// family is one registered metric name with its samples.
type family interface {
	// describe returns the family's help text and Prometheus type.
	describe() (help, typ string)
	// collect appends the family's current samples.
	collect(dst []sample) []sample
	// same reports whether other is an identical registration.
	same(other family) bool
}

// sample is one exposition line: label pairs and a formatted value.
type sample struct {
	labelNames, labelValues []string
	value                   string
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{families: make(map[string]family)}
}

var (
	metricName = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
	labelName  = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
)

// register adds f under name and returns the family to use: f, or the
// family already registered under name when it is an identical
// registration (so wiring the same set twice shares it).
func (r *Registry) register(name string, f family, labels []string) family {
	if !metricName.MatchString(name) {
		panic(fmt.Sprintf("metrics: invalid metric name %q", name))
	}
	for _, l := range labels {
		if !labelName.MatchString(l) || len(l) >= 2 && l[:2] == "__" {
			panic(fmt.Sprintf("metrics: %s: invalid label name %q", name, l))
		}
	}
	if len(labels) != len(distinct(labels)) {
		panic(fmt.Sprintf("metrics: %s: duplicate label names", name))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if old, ok := r.families[name]; ok {
		if !old.same(f) {
			panic(fmt.Sprintf("metrics: %s registered twice with different help, type or labels", name))
		}
		return old
	}
	r.families[name] = f
	return f
}

// distinct returns the distinct values of s, sorted.
func distinct(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return slices.Compact(c)
}

// Counter registers (or returns the identical existing) counter family
// name with the given label names. Counter names should end in _total.
func (r *Registry) Counter(name, help string, labelNames ...string) *CounterVec {
	v := newCounterVec(help, labelNames)
	return r.register(name, v, labelNames).(*CounterVec)
}

// Gauge registers (or returns the identical existing) gauge name.
func (r *Registry) Gauge(name, help string) *Gauge {
	return r.register(name, &Gauge{help: help}, nil).(*Gauge)
}

// GaugeFunc registers a gauge whose value is fn(), called at every scrape.
// fn must be safe for concurrent use and fast. A name can have only one
// GaugeFunc.
func (r *Registry) GaugeFunc(name, help string, fn func() float64) {
	r.register(name, &gaugeFunc{help: help, fn: fn}, nil)
}

// Handler serves the registry in the Prometheus text format 0.0.4, families
// sorted by name and samples by label values.
func (r *Registry) Handler() http.Handler {
	return http.HandlerFunc(r.serveHTTP)
}

func (r *Registry) serveHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	body := r.expose()
	w.Header().Set("Content-Type", ContentType)
	w.Header().Set("Cache-Control", "no-store")
	if req.Method == http.MethodGet {
		_, _ = w.Write(body)
	}
}

// snapshot returns the registered families sorted by name.
func (r *Registry) snapshot() (names []string, families []family) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for name := range r.families {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		families = append(families, r.families[name])
	}
	return names, families
}
