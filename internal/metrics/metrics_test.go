package metrics

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape reads r through its promhttp handler and parses the text format.
func scrape(t *testing.T, r *Registry) map[string]*dto.MetricFamily {
	t.Helper()
	rec := httptest.NewRecorder()
	r.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	ct := rec.Header().Get("Content-Type")
	if rec.Code != http.StatusOK || !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Fatalf("scrape: %d %q", rec.Code, ct)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(strings.NewReader(rec.Body.String()))
	if err != nil {
		t.Fatalf("parse exposition: %v\n%s", err, rec.Body.String())
	}
	return families
}

// labelsOf returns a sample's labels as a map.
func labelsOf(m *dto.Metric) map[string]string {
	l := map[string]string{}
	for _, p := range m.GetLabel() {
		l[p.GetName()] = p.GetValue()
	}
	return l
}

// value returns a counter's or gauge's value (a histogram's count).
func value(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.GetCounter().GetValue()
	case m.Gauge != nil:
		return m.GetGauge().GetValue()
	case m.Histogram != nil:
		return float64(m.GetHistogram().GetSampleCount())
	}
	return m.GetUntyped().GetValue()
}

func TestExpositionEscapesAndSorts(t *testing.T) {
	r := NewRegistry()
	v := r.Counter("z_requests_total", "Requests \\ with\nnewline.", "route", "code")
	weird := "a\"b\\c\nd é"
	v.With("/b", "200").Add(2)
	v.With("/a", "500").Inc()
	v.With(weird, "200").Add(7)
	v.With("/a", "200").Inc()
	v.With("/a", "200").Inc()
	r.Gauge("a_gauge", "A gauge.").Set(-1.5)
	r.GaugeFunc("m_func", "From a function.", func() float64 { return 1e21 })
	r.CounterFunc("c_func_total", "Counter from a function.", func() float64 { return 4 })
	r.Counter("n_empty_total", "Never used.", "reason")

	families := scrape(t, r)
	var names []string
	for name := range families {
		names = append(names, name)
	}
	slices.Sort(names)
	if want := []string{"a_gauge", "c_func_total", "m_func", "z_requests_total"}; !slices.Equal(names, want) {
		t.Fatalf("families %v, want %v (empty ones left out)", names, want)
	}
	z := families["z_requests_total"]
	if z.GetHelp() != "Requests \\ with\nnewline." || z.GetType() != dto.MetricType_COUNTER {
		t.Fatalf("help %q type %v", z.GetHelp(), z.GetType())
	}
	var got []string
	for _, m := range z.GetMetric() {
		l := labelsOf(m)
		got = append(got, l["route"]+"|"+l["code"]+"="+strconv.FormatFloat(value(m), 'g', -1, 64))
	}
	slices.Sort(got)
	want := []string{"/a|200=2", "/a|500=1", "/b|200=2", weird + "|200=7"}
	if !slices.Equal(got, want) {
		t.Fatalf("samples %q, want %q", got, want)
	}
	if a := families["a_gauge"]; a.GetType() != dto.MetricType_GAUGE || value(a.Metric[0]) != -1.5 {
		t.Fatalf("gauge %v", a)
	}
	if m := families["m_func"]; value(m.Metric[0]) != 1e21 {
		t.Fatalf("gauge func %v", m)
	}
	if c := families["c_func_total"]; c.GetType() != dto.MetricType_COUNTER || value(c.Metric[0]) != 4 {
		t.Fatalf("counter func %v", c)
	}
}

func TestInvalidUTF8LabelValueIsCleaned(t *testing.T) {
	r := NewRegistry()
	v := r.Counter("x_total", "X.", "reason")
	v.With("bad\xffvalue").Inc()
	v.With("bad\xffvalue").Inc()
	if c := v.With("bad\uFFFDvalue"); c.Value() != 2 {
		t.Fatalf("cleaned series counted %d, want 2", c.Value())
	}
	if f := scrape(t, r)["x_total"]; len(f.GetMetric()) != 1 || labelsOf(f.Metric[0])["reason"] != "bad\uFFFDvalue" {
		t.Fatalf("exposed %v", f)
	}
}

func TestConcurrentUpdates(t *testing.T) {
	r := NewRegistry()
	v := r.Counter("c_total", "C.", "reason")
	g := r.Gauge("g", "G.")
	h := r.Histogram("h_seconds", "H.", LatencyBuckets)
	const workers, n = 8, 1000
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			reason := "r" + strconv.Itoa(w%2)
			for range n {
				v.With(reason).Inc()
				g.Inc()
				g.Add(0.5)
				g.Dec()
				h.Observe(0.001)
			}
		})
	}
	wg.Go(func() { // scrapes run alongside writers
		for range 20 {
			r.Handler().ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/metrics", nil))
		}
	})
	wg.Wait()
	if got := v.With("r0").Value() + v.With("r1").Value(); got != workers*n {
		t.Fatalf("counted %d, want %d", got, workers*n)
	}
	if got := g.Value(); got != workers*n*0.5 {
		t.Fatalf("gauge %v, want %v", got, workers*n*0.5)
	}
	if got := h.Count(); got != workers*n {
		t.Fatalf("histogram count %d, want %d", got, workers*n)
	}
}

func TestGaugeOps(t *testing.T) {
	g := NewRegistry().Gauge("g", "G.")
	g.Set(10)
	g.Inc()
	g.Dec()
	g.Dec()
	g.Add(-2.5)
	if g.Value() != 6.5 {
		t.Fatalf("gauge %v, want 6.5", g.Value())
	}
}

func TestHistogramBuckets(t *testing.T) {
	r := NewRegistry()
	h := r.Histogram("op_seconds", "Op.", LatencyBuckets)
	h.ObserveDuration(50 * time.Microsecond)
	h.ObserveDuration(3 * time.Millisecond)
	h.Observe(10) // past the last bound: +Inf only
	f := scrape(t, r)["op_seconds"]
	if f.GetType() != dto.MetricType_HISTOGRAM {
		t.Fatalf("type %v", f.GetType())
	}
	hist := f.Metric[0].GetHistogram()
	if hist.GetSampleCount() != 3 || hist.GetSampleSum() < 10.003 || hist.GetSampleSum() > 10.0031 {
		t.Fatalf("count %d sum %v", hist.GetSampleCount(), hist.GetSampleSum())
	}
	b := hist.GetBucket() // the text parser adds +Inf
	if len(b) != 17 || b[0].GetUpperBound() != 0.0001 || b[0].GetCumulativeCount() != 1 {
		t.Fatalf("buckets %v", b)
	}
	if last := b[len(b)-2]; last.GetCumulativeCount() != 2 || last.GetUpperBound() < 3 || last.GetUpperBound() > 4 {
		t.Fatalf("last bucket %v", last)
	}
	if CountBuckets[0] != 1 || CountBuckets[len(CountBuckets)-1] != 256 {
		t.Fatalf("count buckets %v", CountBuckets)
	}
}

func TestNilMetricsAreNoOps(t *testing.T) {
	var c *Counter
	var v *CounterVec
	var g *Gauge
	var h *Histogram
	var s *Store
	c.Inc()
	c.Add(3)
	v.With("x").Inc()
	g.Inc()
	g.Set(3)
	h.Observe(1)
	h.ObserveDuration(time.Second)
	h.Since(time.Now())
	s.CommitDone(3, time.Millisecond)
	if c.Value() != 0 || g.Value() != 0 || v.With() != nil || h.Count() != 0 {
		t.Fatal("nil metrics hold values")
	}
	var set Helpr // a zero set: every field nil
	set.FramesIn.Inc()
	set.Rejections.With("bad_frame").Inc()
	set.AckSeconds.Since(time.Now())
	set.AppendDone(time.Millisecond)
	set.FanoutDone(2, time.Millisecond)
	(*Helpr)(nil).AppendDone(time.Millisecond)
}

func TestSeriesCap(t *testing.T) {
	r := NewRegistry()
	v := r.Counter("capped_total", "Capped.", "path")
	for i := range MaxSeries + 50 {
		v.With("/p/" + strconv.Itoa(i)).Inc()
	}
	if n := len(scrape(t, r)["capped_total"].GetMetric()); n != MaxSeries+1 {
		t.Fatalf("%d series, want %d", n, MaxSeries+1)
	}
	if over := v.With(OverflowValue); over.Value() != 50 {
		t.Fatalf("overflow series counted %d, want 50", over.Value())
	}
}

func TestRegistrationRules(t *testing.T) {
	r := NewRegistry()
	a := r.Counter("same_total", "Same.", "reason")
	if b := r.Counter("same_total", "Same.", "reason"); b != a {
		t.Fatal("an identical registration did not return the existing family")
	}
	h := r.Histogram("same_seconds", "Same.", LatencyBuckets)
	if h2 := r.Histogram("same_seconds", "Same.", LatencyBuckets); h2 != h {
		t.Fatal("an identical histogram registration did not return the existing one")
	}
	r.Counter("plain_total", "Plain.")
	for name, fn := range map[string]func(){
		"bad metric name":      func() { r.Counter("bad-name", "x") },
		"bad gauge name":       func() { r.Gauge("bad.name", "x") },
		"bad label name":       func() { r.Counter("ok_total", "x", "bad-label") },
		"reserved label name":  func() { r.Counter("ok2_total", "x", "__name") },
		"duplicate label":      func() { r.Counter("ok3_total", "x", "a", "a") },
		"conflicting type":     func() { r.Gauge("plain_total", "Plain.") },
		"conflicting help":     func() { r.Counter("same_total", "Other.", "reason") },
		"conflicting labels":   func() { r.Counter("same_total", "Same.", "other") },
		"second gauge func":    func() { r.GaugeFunc("f", "F.", nil); r.GaugeFunc("f", "F.", nil) },
		"wrong label count":    func() { a.With("x", "y") },
		"missing label values": func() { a.With() },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			fn()
		})
	}
}

// helprSeries is the exposed family of every field of Helpr, as external
// scrapers expect it: type, one sample's labels and value.
var helprSeries = map[string]struct {
	typ    dto.MetricType
	labels map[string]string
	value  float64
}{
	"helpr_connections":           {dto.MetricType_GAUGE, map[string]string{}, 1},
	"helpr_frames_received_total": {dto.MetricType_COUNTER, map[string]string{}, 5},
	"helpr_frames_sent_total":     {dto.MetricType_COUNTER, map[string]string{}, 1},
	"helpr_messages_stored_total": {dto.MetricType_COUNTER, map[string]string{}, 1},
	"helpr_rejections_total":      {dto.MetricType_COUNTER, map[string]string{"reason": "rate_limited"}, 1},
	"helpr_auth_failures_total":   {dto.MetricType_COUNTER, map[string]string{"reason": "token_expired"}, 1},
	"helpr_http_requests_total":   {dto.MetricType_COUNTER, map[string]string{"route": "POST /rest/v1/auth/login", "code": "401"}, 1},
	"helpr_rate_limited_total":    {dto.MetricType_COUNTER, map[string]string{"limit": "visitor_session_ip"}, 1},

	"helpr_chat_tokens_issued_total":       {dto.MetricType_COUNTER, map[string]string{}, 2},
	"helpr_chat_token_failures_total":      {dto.MetricType_COUNTER, map[string]string{"reason": "token_version"}, 1},
	"helpr_chat_token_invalidations_total": {dto.MetricType_COUNTER, map[string]string{}, 1},

	"helpr_ack_seconds":       {dto.MetricType_HISTOGRAM, map[string]string{}, 1},
	"helpr_append_seconds":    {dto.MetricType_HISTOGRAM, map[string]string{}, 2},
	"helpr_fanout_seconds":    {dto.MetricType_HISTOGRAM, map[string]string{}, 1},
	"helpr_fanout_recipients": {dto.MetricType_HISTOGRAM, map[string]string{}, 1},
}

func TestNewHelpr(t *testing.T) {
	r := NewRegistry()
	h := NewHelpr(r)
	h.Connections.Inc()
	h.Connections.Inc()
	h.Connections.Dec()
	h.FramesIn.Add(5)
	h.FramesOut.Inc()
	h.MessagesStored.Inc()
	h.Rejections.With("rate_limited").Inc()
	h.AuthFailures.With("token_expired").Inc()
	h.HTTPRequests.With("POST /rest/v1/auth/login", "401").Inc()
	h.RateLimited.With("visitor_session_ip").Inc()
	h.ChatTokensIssued.Add(2)
	h.ChatTokenFailures.With("token_version").Inc()
	h.ChatTokenInvalidations.Inc()
	h.AckSeconds.Since(time.Now())
	h.AppendDone(time.Millisecond)
	h.AppendDone(2 * time.Millisecond)
	h.FanoutDone(3, time.Microsecond)
	if again := NewHelpr(r); again.FramesIn != h.FramesIn || again.AckSeconds != h.AckSeconds {
		t.Fatal("a second NewHelpr on one registry does not share series")
	}

	families := scrape(t, r)
	for name, w := range helprSeries {
		f := families[name]
		if f == nil || f.GetType() != w.typ || f.GetHelp() == "" || len(f.GetMetric()) != 1 {
			t.Errorf("%s: %v", name, f)
			continue
		}
		m := f.Metric[0]
		if got := labelsOf(m); value(m) != w.value || !equalMaps(got, w.labels) {
			t.Errorf("%s: sample %v = %v, want %v = %v", name, got, value(m), w.labels, w.value)
		}
	}
	if len(families) != len(helprSeries) {
		t.Errorf("%d families, want %d", len(families), len(helprSeries))
	}
	if got := families["helpr_fanout_recipients"].Metric[0].GetHistogram().GetSampleSum(); got != 3 {
		t.Errorf("fanout recipients summed %v, want 3", got)
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestStoreCommitSeries(t *testing.T) {
	r := NewRegistry()
	s := NewStore(r)
	s.CommitDone(3, 2*time.Millisecond)
	s.CommitDone(1, time.Millisecond)
	families := scrape(t, r)
	if c := families["helpr_store_commits_total"]; c == nil || value(c.Metric[0]) != 2 {
		t.Fatalf("commits %v", c)
	}
	rows := families["helpr_store_rows_per_commit"].Metric[0].GetHistogram()
	if rows.GetSampleCount() != 2 || rows.GetSampleSum() != 4 || len(rows.GetBucket()) != 9+1 { // and +Inf
		t.Fatalf("rows per commit %v", rows)
	}
	if c := families["helpr_store_commit_seconds"].Metric[0].GetHistogram(); c.GetSampleCount() != 2 {
		t.Fatalf("commit seconds %v", c)
	}

	r2 := NewRegistry()
	StoreCommitsFunc(r2, func() float64 { return 7 })
	if c := scrape(t, r2)["helpr_store_commits_total"]; c.GetType() != dto.MetricType_COUNTER || value(c.Metric[0]) != 7 {
		t.Fatalf("commits from a function %v", c)
	}
}

func TestRuntimeCollectors(t *testing.T) {
	r := NewRegistry()
	r.RegisterRuntime()
	NewHelpr(r)
	families := scrape(t, r)
	for _, name := range []string{"go_goroutines", "go_memstats_alloc_bytes", "process_cpu_seconds_total",
		"process_resident_memory_bytes", "helpr_connections"} {
		if families[name] == nil {
			t.Errorf("%s not exposed", name)
		}
	}
}

func TestHandlerMethods(t *testing.T) {
	r := NewRegistry()
	r.Gauge("g", "G.").Set(1)
	srv := httptest.NewServer(r.Handler())
	defer srv.Close()
	resp, err := http.Post(srv.URL, "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("POST: %d", resp.StatusCode)
	}
	resp, err = http.Head(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || len(body) != 0 {
		t.Fatalf("HEAD: %d with %d bytes", resp.StatusCode, len(body))
	}
	resp, err = http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Header.Get("Cache-Control") != "no-store" || !strings.Contains(string(body), "# TYPE g gauge\ng 1\n") {
		t.Fatalf("GET: %q %q", resp.Header.Get("Cache-Control"), body)
	}
}

func BenchmarkCounterWith(b *testing.B) {
	v := NewRegistry().Counter("b_total", "B.", "route", "code")
	v.With("GET /rest/v1/conversations", "200")
	b.ReportAllocs()
	for b.Loop() {
		v.With("GET /rest/v1/conversations", "200").Inc()
	}
}

func BenchmarkCounterInc(b *testing.B) {
	c := NewRegistry().Counter("b_total", "B.").With()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c.Inc()
		}
	})
}

func BenchmarkHistogramObserve(b *testing.B) {
	h := NewRegistry().Histogram("b_seconds", "B.", LatencyBuckets)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			h.Observe(0.002)
		}
	})
}
