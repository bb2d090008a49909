// Package metrics is helpr's thin layer over the Prometheus Go client
// (github.com/prometheus/client_golang): counters (with labels), gauges,
// gauge and counter functions and histograms on a private
// prometheus.Registry, served by promhttp. It keeps helpr's conventions on
// top of the client: nil metrics do nothing, a counter family caps its
// series (MaxSeries), label values are cleaned to valid UTF-8, and an
// identical second registration shares the first.
//
// Registering is meant for start-up: a bad name, a conflicting second
// registration or a wrong number of label values is a programming error
// and panics, like an out-of-range index.
package metrics

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Registry holds metric families and serves them. The zero value is not
// usable; call NewRegistry. All methods are safe for concurrent use.
type Registry struct {
	reg *prometheus.Registry
}

// NewRegistry returns an empty registry (no runtime collectors; see
// RegisterRuntime).
func NewRegistry() *Registry {
	return &Registry{reg: prometheus.NewRegistry()}
}

// Prometheus returns the underlying registry, to gather from or to
// register other collectors on.
func (r *Registry) Prometheus() *prometheus.Registry { return r.reg }

// RegisterRuntime adds the Go runtime (go_*) and process (process_*)
// collectors. Call it once, on the registry a process serves.
func (r *Registry) RegisterRuntime() {
	r.reg.MustRegister(collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
}

var (
	metricName = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
	labelName  = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
)

// checkNames panics unless name and labels are classic Prometheus names
// (the client would take any UTF-8; helpr's scrapers expect the classic
// text format). Reserved and duplicate label names the client refuses.
func checkNames(name string, labels []string) {
	if !metricName.MatchString(name) {
		panic(fmt.Sprintf("metrics: invalid metric name %q", name))
	}
	for _, l := range labels {
		if !labelName.MatchString(l) {
			panic(fmt.Sprintf("metrics: %s: invalid label name %q", name, l))
		}
	}
}

// register adds c and returns the collector to use: c, or the one already
// registered when c is an identical registration. Any other error panics.
func register[C prometheus.Collector](r *Registry, name string, c C) C {
	checkNames(name, nil)
	err := r.reg.Register(c)
	if err == nil {
		return c
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if old, ok := are.ExistingCollector.(C); ok {
			return old
		}
		err = errors.New("registered before as another type")
	}
	panic(fmt.Sprintf("metrics: %s: %v", name, err))
}

// Counter registers (or returns the identical existing) counter family
// name with the given label names. Counter names should end in _total.
// A family is exposed once it has a series (With).
func (r *Registry) Counter(name, help string, labelNames ...string) *CounterVec {
	checkNames(name, labelNames)
	pv := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labelNames)
	return register(r, name, &CounterVec{vec: pv, labels: len(labelNames), children: make(map[string]*Counter)})
}

// Gauge registers (or returns the identical existing) gauge name.
func (r *Registry) Gauge(name, help string) *Gauge {
	return register(r, name, &Gauge{g: prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help})})
}

// GaugeFunc registers a gauge whose value is fn(), called at every scrape.
// fn must be safe for concurrent use and fast. A name can have only one
// function.
func (r *Registry) GaugeFunc(name, help string, fn func() float64) {
	r.mustRegister(name, prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, fn))
}

// CounterFunc registers a counter whose value is fn(), called at every
// scrape; fn must never go down, be safe for concurrent use and fast. A
// name can have only one function.
func (r *Registry) CounterFunc(name, help string, fn func() float64) {
	r.mustRegister(name, prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, fn))
}

// Histogram registers (or returns the identical existing) histogram name
// with the given bucket upper bounds (nil: prometheus.DefBuckets).
// Durations are observed in seconds.
func (r *Registry) Histogram(name, help string, buckets []float64) *Histogram {
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets})
	return register(r, name, &Histogram{h: h})
}

// mustRegister registers c, panicking on any error (functions cannot be
// compared, so a second registration is refused).
func (r *Registry) mustRegister(name string, c prometheus.Collector) {
	checkNames(name, nil)
	if err := r.reg.Register(c); err != nil {
		panic(fmt.Sprintf("metrics: %s: %v", name, err))
	}
}

// Handler serves the registry through promhttp (the text format unless
// the scraper negotiates another), to GET and HEAD only, uncached.
func (r *Registry) Handler() http.Handler {
	h := promhttp.HandlerFor(r.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodGet && req.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		h.ServeHTTP(w, req)
	})
}
