package main

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram bounds: microseconds, 1 µs .. 60 s, 3 significant figures.
const (
	histMinMicros = 1
	histMaxMicros = 60_000_000
	histSigFigs   = 3
)

// hist is a latency distribution: the whole run and the current second.
// Safe for concurrent use.
type hist struct {
	mu     sync.Mutex
	total  *hdrhistogram.Histogram
	window *hdrhistogram.Histogram
}

func newHist() *hist {
	return &hist{
		total:  hdrhistogram.New(histMinMicros, histMaxMicros, histSigFigs),
		window: hdrhistogram.New(histMinMicros, histMaxMicros, histSigFigs),
	}
}

// record adds one latency, clamped into the histogram's range.
func (h *hist) record(d time.Duration) {
	us := d.Microseconds()
	us = max(histMinMicros, min(us, histMaxMicros))
	h.mu.Lock()
	_ = h.total.RecordValue(us)
	_ = h.window.RecordValue(us)
	h.mu.Unlock()
}

// percentiles summarises the whole run.
func (h *hist) percentiles() Percentiles {
	h.mu.Lock()
	defer h.mu.Unlock()
	return percentilesOf(h.total)
}

// takeWindow summarises the current second and starts the next.
func (h *hist) takeWindow() Percentiles {
	h.mu.Lock()
	defer h.mu.Unlock()
	p := percentilesOf(h.window)
	h.window.Reset()
	return p
}

// reset forgets everything recorded so far (the end of a warm-up).
func (h *hist) reset() {
	h.mu.Lock()
	h.total.Reset()
	h.window.Reset()
	h.mu.Unlock()
}

func percentilesOf(h *hdrhistogram.Histogram) Percentiles {
	ms := func(us int64) float64 { return float64(us) / 1000 }
	return Percentiles{
		Count: h.TotalCount(),
		P50:   ms(h.ValueAtQuantile(50)),
		P90:   ms(h.ValueAtQuantile(90)),
		P99:   ms(h.ValueAtQuantile(99)),
		P999:  ms(h.ValueAtQuantile(99.9)),
		Max:   ms(h.Max()),
	}
}

// Counter names. Each is reported as "<name>_per_s".
const (
	cConnects      = "connects"
	cErrors        = "errors"
	cMessages      = "messages"
	cAcks          = "acks"
	cDeliveries    = "deliveries"
	cLogins        = "logins"
	cRefreshes     = "refreshes"
	cConversations = "conversations"
	cInboxEvents   = "inbox_events"
	cStarts        = "starts"
	cDropped       = "dropped"    // connections that ended without the harness closing them
	cReconnects    = "reconnects" // dropped connections reconnected and resumed
	cPushback      = "pushback"   // sends answered overloaded or rate_limited, resent later
	cReplayed      = "replayed"   // messages received again after a resume, ignored
)

var counterNames = []string{cConnects, cErrors, cMessages, cAcks, cDeliveries, cLogins, cRefreshes, cConversations, cInboxEvents, cStarts,
	cDropped, cReconnects, cPushback, cReplayed}

// Latency kinds.
const (
	lConnect = "connect"
	lE2E     = "e2e"
	lAck     = "ack"
	lLogin   = "login"
	lRefresh = "refresh"
	lInbox   = "inbox"
	// Set-up steps of a room: where set-up time goes.
	lSession = "setup_session" // POST /visitor/sessions
	lStart   = "setup_start"   // conversation.start answered
	lJoin    = "setup_join"    // an agent's conversation.join answered
)

var latencyNames = []string{lConnect, lE2E, lAck, lLogin, lRefresh, lInbox, lSession, lStart, lJoin}

// metrics holds a run's counters, histograms and per-second timeline.
// Counters and histograms are safe for concurrent use; sample is called by
// one goroutine (the progress ticker).
type metrics struct {
	counters map[string]*atomic.Int64 // fixed at construction
	hists    map[string]*hist         // fixed at construction

	mu       sync.Mutex
	created  time.Time // set-up starts here
	begun    time.Time
	ended    time.Time
	last     map[string]int64
	startV   map[string]int64
	endV     map[string]int64
	lastT    time.Time
	timeline []Sample
}

func newMetrics() *metrics {
	m := &metrics{counters: map[string]*atomic.Int64{}, hists: map[string]*hist{}, created: time.Now(),
		last: map[string]int64{}, startV: map[string]int64{}, endV: map[string]int64{}}
	for _, n := range counterNames {
		m.counters[n] = new(atomic.Int64)
	}
	for _, n := range latencyNames {
		m.hists[n] = newHist()
	}
	return m
}

// add counts n events of counter name.
func (m *metrics) add(name string, n int64) { m.counters[name].Add(n) }

// get reads counter name.
func (m *metrics) get(name string) int64 { return m.counters[name].Load() }

// observe records one latency of kind name.
func (m *metrics) observe(name string, d time.Duration) { m.hists[name].record(d) }

// begin marks the start of the measured period: counters and histograms
// recorded before (setup, warm-up) are kept as totals for counts, but rates
// and the timeline start here.
func (m *metrics) begin(now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.begun, m.lastT = now, now
	for n, c := range m.counters {
		m.last[n] = c.Load()
		m.startV[n] = m.last[n]
	}
	for _, h := range m.hists {
		h.takeWindow() // the timeline starts empty: set-up is not in it
	}
}

// end marks the end of the measured period.
func (m *metrics) end(now time.Time) {
	m.mu.Lock()
	if m.ended.IsZero() && !m.begun.IsZero() {
		m.ended = now
		for n, c := range m.counters {
			m.endV[n] = c.Load()
		}
	}
	m.mu.Unlock()
}

// measuring reports whether begin was called and end was not.
func (m *metrics) measuring() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return !m.begun.IsZero() && m.ended.IsZero()
}

// sample closes one timeline second and returns it.
func (m *metrics) sample(now time.Time) Sample {
	m.mu.Lock()
	defer m.mu.Unlock()
	dt := now.Sub(m.lastT).Seconds()
	s := Sample{T: now.Sub(m.begun).Seconds(), Rates: map[string]float64{}, P50: map[string]float64{}, P99: map[string]float64{}}
	for n, c := range m.counters {
		v := c.Load()
		if d := v - m.last[n]; d > 0 && dt > 0 {
			s.Rates[n+"_per_s"] = float64(d) / dt
		}
		m.last[n] = v
	}
	for n, h := range m.hists {
		if p := h.takeWindow(); p.Count > 0 {
			s.P50[n], s.P99[n] = p.P50, p.P99
		}
	}
	m.lastT = now
	m.timeline = append(m.timeline, s)
	return s
}

// seconds is the measured duration.
func (m *metrics) seconds() float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.begun.IsZero() {
		return 0
	}
	end := m.ended
	if end.IsZero() {
		end = time.Now()
	}
	return end.Sub(m.begun).Seconds()
}

// rates are the measured period's counts per second, keyed "<name>_per_s".
func (m *metrics) rates() map[string]float64 {
	secs := m.seconds()
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]float64{}
	for n, c := range m.counters {
		end, ok := m.endV[n]
		if !ok {
			end = c.Load()
		}
		if d := end - m.startV[n]; d > 0 && secs > 0 {
			out[n+"_per_s"] = float64(d) / secs
		}
	}
	return out
}

// latencies summarises every histogram that recorded something.
func (m *metrics) latencies() map[string]Percentiles {
	out := map[string]Percentiles{}
	for n, h := range m.hists {
		if p := h.percentiles(); p.Count > 0 {
			out[n] = p
		}
	}
	return out
}

// samples returns the timeline so far.
func (m *metrics) samples() []Sample {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Sample(nil), m.timeline...)
}

// finalSample closes the last partial second of the timeline, when it
// lasted long enough to mean something.
func (m *metrics) finalSample(now time.Time) {
	m.mu.Lock()
	ok := !m.begun.IsZero() && m.ended.IsZero() && now.Sub(m.lastT) >= 200*time.Millisecond
	m.mu.Unlock()
	if ok {
		m.sample(now)
	}
}

// setupSeconds is how long set-up took (creation to the measured start).
func (m *metrics) setupSeconds() float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.begun.IsZero() {
		return 0
	}
	return m.begun.Sub(m.created).Seconds()
}

// measured is how many events of counter name the measured period saw.
func (m *metrics) measured(name string) int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	end, ok := m.endV[name]
	if !ok {
		end = m.counters[name].Load()
	}
	return end - m.startV[name]
}
