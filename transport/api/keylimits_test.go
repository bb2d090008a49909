package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/transport/httpx"
)

var _ QuotaLimiter = (*security.QuotaWindow)(nil)

// keyCall is one API-key request as the key-auth path charges it.
type keyCall struct {
	key, owner string
	rpm        int
}

// keyHandler is the smallest authenticated route: it charges the key named
// by the request's X-Test-* headers, then answers 200 (or 404 on
// /missing, a handler's own error after the charge).
func keyHandler(a *API) http.Handler {
	return a.serve(func(w http.ResponseWriter, r *http.Request) error {
		rpm, _ := strconv.Atoi(r.Header.Get("X-Test-RPM"))
		if err := a.chargeAPIKey(w, r, r.Header.Get("X-Test-Key"), r.Header.Get("X-Test-Owner"), rpm); err != nil {
			return err
		}
		if r.URL.Path == "/missing" {
			return errNotFound
		}
		w.WriteHeader(http.StatusOK)
		return nil
	})
}

func (k keyCall) request(path string) *http.Request {
	r := httptest.NewRequest("GET", path, nil)
	k.set(r)
	return r
}

func (k keyCall) set(r *http.Request) {
	r.Header.Set("X-Test-Key", k.key)
	r.Header.Set("X-Test-Owner", k.owner)
	r.Header.Set("X-Test-RPM", strconv.Itoa(k.rpm))
}

// quotaAnswer is what a client reads of an answer.
type quotaAnswer struct {
	status, limit, remaining int
	reset                    int64
	retryAfter               string
	code                     string
}

func answerOf(t testing.TB, status int, h http.Header, body string) quotaAnswer {
	t.Helper()
	q := quotaAnswer{status: status, retryAfter: h.Get("Retry-After")}
	for name, dst := range map[string]*int{headerRateLimit: &q.limit, headerRateRemaining: &q.remaining} {
		n, err := strconv.Atoi(h.Get(name))
		if err != nil {
			t.Fatalf("%s %q: %v (body %s)", name, h.Get(name), err, body)
		}
		*dst = n
	}
	reset, err := strconv.ParseInt(h.Get(headerRateReset), 10, 64)
	if err != nil {
		t.Fatalf("%s %q: %v", headerRateReset, h.Get(headerRateReset), err)
	}
	q.reset = reset
	if status >= 400 {
		q.code = errorCode(t, body)
	}
	return q
}

func (k keyCall) do(t testing.TB, h http.Handler, path string) quotaAnswer {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, k.request(path))
	return answerOf(t, rec.Code, rec.Header(), rec.Body.String())
}

func errorCode(t testing.TB, body string) string {
	t.Helper()
	var e struct {
		Error struct{ Code string } `json:"error"`
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("error body %q: %v", body, err)
	}
	return e.Error.Code
}

// The default rpm counts down 600 → 599 … 0 with the Reset of second 0
// leaving the window; the 601st is 429 with Retry-After 60; the headers
// are on a handler's own errors too; refusals are counted by limit.
func TestChargeAPIKeyHeadersCountDownToTheLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	h := keyHandler(e.api)
	t0 := e.clock.Now()
	reset := t0.Add(time.Minute).Unix()
	k := keyCall{"key_a", "agt_owner", 600}
	for i := range 600 {
		path := "/ok"
		if i == 300 {
			path = "/missing"
		}
		got := k.do(t, h, path)
		want := quotaAnswer{status: 200, limit: 600, remaining: 599 - i, reset: reset}
		if path == "/missing" {
			want.status, want.code = 404, httpx.CodeNotFound
		}
		if got != want {
			t.Fatalf("request %d: %+v, want %+v", i+1, got, want)
		}
	}
	e.clock.Advance(30 * time.Second)
	got := k.do(t, h, "/ok")
	want := quotaAnswer{status: 429, limit: 600, remaining: 0, reset: reset, retryAfter: "30", code: httpx.CodeRateLimited}
	if got != want {
		t.Fatalf("request 601: %+v, want %+v", got, want)
	}
	if n := e.metrics.RateLimited.With(limitAPIKey).Value(); n != 1 {
		t.Fatalf("helpr_rate_limited_total{limit=%q} = %d, want 1", limitAPIKey, n)
	}
	if n := e.metrics.RateLimited.With(limitAPIUser).Value(); n != 0 {
		t.Fatalf("helpr_rate_limited_total{limit=%q} = %d, want 0", limitAPIUser, n)
	}
}

// N concurrent requests over real HTTP on a key of rpm L: exactly L pass,
// each with a distinct Remaining, every other one is 429.
func TestChargeAPIKeyRefusesAtExactlyTheLimitUnderConcurrency(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	srv := httptest.NewServer(keyHandler(e.api))
	t.Cleanup(srv.Close)
	const n, rpm = 300, 120
	k := keyCall{"key_busy", "agt_owner", rpm}
	var mu sync.Mutex
	remaining := map[int]bool{}
	refused := 0
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			req, _ := http.NewRequest("GET", srv.URL+"/ok", nil)
			k.set(req)
			res, err := srv.Client().Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			_ = res.Body.Close()
			mu.Lock()
			defer mu.Unlock()
			switch res.StatusCode {
			case 200:
				r, _ := strconv.Atoi(res.Header.Get(headerRateRemaining))
				remaining[r] = true
			case 429:
				refused++
			default:
				t.Errorf("status %d", res.StatusCode)
			}
		})
	}
	wg.Wait()
	if len(remaining) != rpm || refused != n-rpm {
		t.Fatalf("%d distinct Remaining on 200s, %d refused; want exactly %d passed and %d refused", len(remaining), refused, rpm, n-rpm)
	}
}

// The per-owner limit is shared by all of an owner's keys and shown when
// it is the tighter; another owner is not affected; a request its key's
// own window refuses is not charged to the owner.
func TestChargeAPIKeyPerUserLimitIsSharedByAnOwnersKeys(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.APIUserRPM = 10 })
	h := keyHandler(e.api)
	reset := e.clock.Now().Add(time.Minute).Unix()
	a, b := keyCall{"key_a", "agt_ada", 600}, keyCall{"key_b", "agt_ada", 600}
	for i := range 10 {
		k := a
		if i%2 == 1 {
			k = b
		}
		want := quotaAnswer{status: 200, limit: 10, remaining: 9 - i, reset: reset}
		if got := k.do(t, h, "/ok"); got != want {
			t.Fatalf("request %d on %s: %+v, want %+v", i+1, k.key, got, want)
		}
	}
	for _, k := range []keyCall{a, b} {
		want := quotaAnswer{status: 429, limit: 10, remaining: 0, reset: reset, retryAfter: "60", code: httpx.CodeRateLimited}
		if got := k.do(t, h, "/ok"); got != want {
			t.Fatalf("11th request, on %s: %+v, want %+v", k.key, got, want)
		}
	}
	if n := e.metrics.RateLimited.With(limitAPIUser).Value(); n != 2 {
		t.Fatalf("helpr_rate_limited_total{limit=%q} = %d, want 2", limitAPIUser, n)
	}
	// Another owner: a key of rpm 2 refused by its own window three times
	// leaves the owner's budget at 10 - 2.
	tiny, other := keyCall{"key_tiny", "agt_bob", 2}, keyCall{"key_other", "agt_bob", 600}
	for i := range 5 {
		got := tiny.do(t, h, "/ok")
		if want := i < 2; (got.status == 200) != want {
			t.Fatalf("request %d on a key of rpm 2: %+v", i+1, got)
		}
		if got.limit != 2 {
			t.Fatalf("request %d on a key of rpm 2 shows limit %d, want its own 2 (the tighter)", i+1, got.limit)
		}
	}
	if got := other.do(t, h, "/ok"); got.status != 200 || got.limit != 10 || got.remaining != 7 {
		t.Fatalf("bob's other key: %+v, want 200 with 7 of 10 left", got)
	}
}

// With a fake clock the window slides at the exact second: requests at
// 0, 10 s and 20.999 s fill rpm 3; at 59.999 s refused (Retry-After 1);
// at 60 s exactly second 0 has left: one passes, Reset is 70 s.
func TestChargeAPIKeyWindowSlidesAtTheExactSecond(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	h := keyHandler(e.api)
	t0 := e.clock.Now()
	at := func(d time.Duration) { e.clock.Advance(t0.Add(d).Sub(e.clock.Now())) }
	sec := func(d time.Duration) int64 { return t0.Add(d).Unix() }
	k := keyCall{"key_slow", "agt_owner", 3}
	ms := time.Millisecond
	for _, s := range []struct {
		at   time.Duration
		want quotaAnswer
	}{
		{0, quotaAnswer{status: 200, limit: 3, remaining: 2, reset: sec(time.Minute)}},
		{10 * time.Second, quotaAnswer{status: 200, limit: 3, remaining: 1, reset: sec(time.Minute)}},
		{20*time.Second + 999*ms, quotaAnswer{status: 200, limit: 3, remaining: 0, reset: sec(time.Minute)}},
		{59*time.Second + 999*ms, quotaAnswer{status: 429, limit: 3, reset: sec(time.Minute), retryAfter: "1", code: httpx.CodeRateLimited}},
		{60 * time.Second, quotaAnswer{status: 200, limit: 3, remaining: 0, reset: sec(70 * time.Second)}},
		{60 * time.Second, quotaAnswer{status: 429, limit: 3, reset: sec(70 * time.Second), retryAfter: "10", code: httpx.CodeRateLimited}},
		{80 * time.Second, quotaAnswer{status: 200, limit: 3, remaining: 1, reset: sec(120 * time.Second)}}, // 10 and 20 left; 60 is the oldest,
	} {
		at(s.at)
		if got := k.do(t, h, "/ok"); got != s.want {
			t.Fatalf("at t0+%v: %+v, want %+v", s.at, got, s.want)
		}
	}
}

// failingQuota is a limiter that cannot decide.
type failingQuota struct{}

func (failingQuota) Take(context.Context, string, int) (security.Quota, error) {
	return security.Quota{}, errors.New("quota store down")
}

// Either limiter failing refuses with 503 unavailable (fail closed), logs
// without the key and counts the rejection.
func TestChargeAPIKeyFailsClosedWhenALimiterErrs(t *testing.T) {
	t.Parallel()
	for name, mutate := range map[string]func(*Config){
		"per key":  func(c *Config) { c.APIKeyLimiter = failingQuota{} },
		"per user": func(c *Config) { c.APIUserLimiter = failingQuota{} },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, mutate)
			rec := httptest.NewRecorder()
			keyHandler(e.api).ServeHTTP(rec, keyCall{"key_secretish", "agt_owner", 600}.request("/ok"))
			if rec.Code != 503 || errorCode(t, rec.Body.String()) != codeUnavailable {
				t.Fatalf("answer %d %s, want 503 unavailable", rec.Code, rec.Body)
			}
			if n := e.metrics.Rejections.With(reasonLimiterUnavailable).Value(); n != 1 {
				t.Fatalf("helpr_rejections_total{reason=%q} = %d, want 1", reasonLimiterUnavailable, n)
			}
			if logs := e.logs.String(); !strings.Contains(logs, "rate limiter unavailable") || !strings.Contains(logs, "quota store down") ||
				strings.Contains(logs, "key_secretish") {
				t.Fatalf("logs %s: want the failure, never the key", logs)
			}
		})
	}
}

func TestNewRefusesANegativeAPIUserRPM(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cfg := e.api.cfg
	cfg.APIUserRPM = -1
	if _, err := New(cfg); err == nil {
		t.Fatal("New accepted APIUserRPM -1")
	}
}
