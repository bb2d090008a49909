package metrics

import (
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

func scrape(t *testing.T, r *Registry) (map[string]*parsedFamily, []string) {
	t.Helper()
	rec := httptest.NewRecorder()
	r.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != ContentType {
		t.Fatalf("scrape: %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	families, order, err := parseExposition(rec.Body.String())
	if err != nil {
		t.Fatalf("parse exposition: %v\n%s", err, rec.Body.String())
	}
	return families, order
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
	g := r.Gauge("a_gauge", "A gauge.")
	g.Set(-1.5)
	r.GaugeFunc("m_func", "From a function.", func() float64 { return 1e21 })
	r.Counter("n_empty_total", "Never used.", "reason")

	families, order := scrape(t, r)
	if want := []string{"a_gauge", "m_func", "z_requests_total"}; !slices.Equal(order, want) {
		t.Fatalf("families %v, want %v (sorted, empty ones left out)", order, want)
	}
	z := families["z_requests_total"]
	if z.help != "Requests \\ with\nnewline." || z.typ != "counter" {
		t.Fatalf("help %q type %q", z.help, z.typ)
	}
	var got []string
	for _, s := range z.samples {
		got = append(got, s.labels["route"]+"|"+s.labels["code"]+"="+strconv.FormatFloat(s.value, 'g', -1, 64))
	}
	want := []string{"/a|200=2", "/a|500=1", "/b|200=2", weird + "|200=7"}
	if !slices.Equal(got, want) {
		t.Fatalf("samples %q, want %q", got, want)
	}
	if a := families["a_gauge"]; a.typ != "gauge" || a.samples[0].value != -1.5 {
		t.Fatalf("gauge %+v", a)
	}
	if m := families["m_func"]; m.samples[0].value != 1e21 {
		t.Fatalf("gauge func %+v", m)
	}
}

func TestSpecialFloats(t *testing.T) {
	for v, want := range map[float64]string{math.Inf(1): "+Inf", math.Inf(-1): "-Inf", 0.25: "0.25", 3: "3"} {
		if got := formatFloat(v); got != want {
			t.Errorf("formatFloat(%v) = %q, want %q", v, got, want)
		}
	}
	if got := formatFloat(math.NaN()); got != "NaN" {
		t.Errorf("NaN formatted as %q", got)
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
}

func TestConcurrentUpdates(t *testing.T) {
	r := NewRegistry()
	v := r.Counter("c_total", "C.", "reason")
	g := r.Gauge("g", "G.")
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
			}
		})
	}
	wg.Go(func() { // scrapes run alongside writers
		for range 20 {
			r.expose()
		}
	})
	wg.Wait()
	if got := v.With("r0").Value() + v.With("r1").Value(); got != workers*n {
		t.Fatalf("counted %d, want %d", got, workers*n)
	}
	if got := g.Value(); got != workers*n*0.5 {
		t.Fatalf("gauge %v, want %v", got, workers*n*0.5)
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

func TestNilMetricsAreNoOps(t *testing.T) {
	var c *Counter
	var v *CounterVec
	var g *Gauge
	c.Inc()
	c.Add(3)
	v.With("x").Inc()
	g.Inc()
	g.Set(3)
	if c.Value() != 0 || g.Value() != 0 || v.With() != nil {
		t.Fatal("nil metrics hold values")
	}
	var h Helpr // a zero set: every field nil
	h.FramesIn.Inc()
	h.Rejections.With("bad_frame").Inc()
}

func TestSeriesCap(t *testing.T) {
	r := NewRegistry()
	v := r.Counter("capped_total", "Capped.", "path")
	for i := range MaxSeries + 50 {
		v.With("/p/" + strconv.Itoa(i)).Inc()
	}
	families, _ := scrape(t, r)
	samples := families["capped_total"].samples
	if len(samples) != MaxSeries+1 {
		t.Fatalf("%d series, want %d", len(samples), MaxSeries+1)
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
	for name, fn := range map[string]func(){
		"bad metric name":      func() { r.Counter("bad-name", "x") },
		"bad label name":       func() { r.Counter("ok_total", "x", "bad-label") },
		"reserved label name":  func() { r.Counter("ok2_total", "x", "__name") },
		"duplicate label":      func() { r.Counter("ok3_total", "x", "a", "a") },
		"conflicting type":     func() { r.Gauge("same_total", "Same.") },
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
	if again := NewHelpr(r); again.FramesIn != h.FramesIn {
		t.Fatal("a second NewHelpr on one registry does not share series")
	}

	families, _ := scrape(t, r)
	want := map[string]struct {
		typ    string
		labels map[string]string
		value  float64
	}{
		"helpr_connections":           {"gauge", map[string]string{}, 1},
		"helpr_frames_received_total": {"counter", map[string]string{}, 5},
		"helpr_frames_sent_total":     {"counter", map[string]string{}, 1},
		"helpr_messages_stored_total": {"counter", map[string]string{}, 1},
		"helpr_rejections_total":      {"counter", map[string]string{"reason": "rate_limited"}, 1},
		"helpr_auth_failures_total":   {"counter", map[string]string{"reason": "token_expired"}, 1},
		"helpr_http_requests_total":   {"counter", map[string]string{"route": "POST /rest/v1/auth/login", "code": "401"}, 1},
		"helpr_rate_limited_total":    {"counter", map[string]string{"limit": "visitor_session_ip"}, 1},

		"helpr_chat_tokens_issued_total":       {"counter", map[string]string{}, 2},
		"helpr_chat_token_failures_total":      {"counter", map[string]string{"reason": "token_version"}, 1},
		"helpr_chat_token_invalidations_total": {"counter", map[string]string{}, 1},
	}
	for name, w := range want {
		f := families[name]
		if f == nil || f.typ != w.typ || f.help == "" || len(f.samples) != 1 {
			t.Errorf("%s: %+v", name, f)
			continue
		}
		s := f.samples[0]
		if s.value != w.value || len(s.labels) != len(w.labels) {
			t.Errorf("%s: sample %+v, want %+v", name, s, w)
		}
		for k, v := range w.labels {
			if s.labels[k] != v {
				t.Errorf("%s: label %s = %q, want %q", name, k, s.labels[k], v)
			}
		}
	}
	if len(families) != len(want) {
		t.Errorf("%d families, want %d", len(families), len(want))
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
