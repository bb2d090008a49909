package httpx

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func decodeErrBody(t *testing.T, rec *httptest.ResponseRecorder) Error {
	t.Helper()
	var body struct {
		Error Error `json:"error"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("error body %q: %v", rec.Body.String(), err)
	}
	return body.Error
}

func TestWriteError(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteError(rec, http.StatusConflict, CodeConflict, "taken")
	if rec.Code != http.StatusConflict {
		t.Fatalf("status %d", rec.Code)
	}
	if got := rec.Body.String(); got != `{"error":{"code":"conflict","message":"taken"}}`+"\n" {
		t.Fatalf("body %q", got)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("content type %q", ct)
	}
}

func TestInternalErrorHidesCause(t *testing.T) {
	rec := httptest.NewRecorder()
	e := Internal(errors.New("db password wrong at 10.0.0.5"))
	WriteErr(rec, e)
	if rec.Code != 500 || strings.Contains(rec.Body.String(), "10.0.0.5") {
		t.Fatalf("leaked or wrong status: %d %s", rec.Code, rec.Body.String())
	}
	if !strings.Contains(e.Error(), "10.0.0.5") {
		t.Fatalf("Error() should carry the cause for logs: %q", e.Error())
	}
}

func TestWriteRateLimitedRoundsUp(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{{1500 * time.Millisecond, "2"}, {3 * time.Second, "3"}, {0, "1"}, {time.Millisecond, "1"}} {
		rec := httptest.NewRecorder()
		WriteRateLimited(rec, tc.d)
		if rec.Code != 429 || rec.Header().Get("Retry-After") != tc.want {
			t.Errorf("%v: status %d retry-after %q, want %s", tc.d, rec.Code, rec.Header().Get("Retry-After"), tc.want)
		}
		if decodeErrBody(t, rec).Code != CodeRateLimited {
			t.Errorf("code %s", rec.Body.String())
		}
	}
}

func TestDecodeJSON(t *testing.T) {
	type dst struct {
		Name string `json:"name"`
		N    int    `json:"n"`
	}
	cases := []struct {
		name, ct, body string
		status         int
	}{
		{"ok", "application/json", `{"name":"a","n":1}`, 0},
		{"ok charset", "application/json; charset=utf-8", `{"name":"a"}`, 0},
		{"wrong type", "text/plain", `{"name":"a"}`, 400},
		{"no type", "", `{"name":"a"}`, 400},
		{"unknown field", "application/json", `{"name":"a","x":1}`, 400},
		{"two values", "application/json", `{"name":"a"}{"name":"b"}`, 400},
		{"second empty object", "application/json", `{"name":"a"} {}`, 400},
		{"second scalar", "application/json", `{"name":"a"} 1`, 400},
		{"trailing garbage", "application/json", `{"name":"a"} x`, 400},
		{"empty", "application/json", ``, 400},
		{"truncated", "application/json", `{"name":`, 400},
		{"bad type", "application/json", `{"n":"x"}`, 400},
		{"too large", "application/json", `{"name":"` + strings.Repeat("a", 200) + `"}`, 413},
		{"too large after value", "application/json", `{"name":"a"}` + strings.Repeat(" ", 200), 413},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/", strings.NewReader(tc.body))
			if tc.ct != "" {
				r.Header.Set("Content-Type", tc.ct)
			}
			var d dst
			e := DecodeJSON(httptest.NewRecorder(), r, &d, 100)
			switch {
			case tc.status == 0 && e != nil:
				t.Fatalf("unexpected error %v", e)
			case tc.status == 0:
				if d.Name != "a" {
					t.Fatalf("decoded %+v", d)
				}
			case e == nil:
				t.Fatalf("want %d, got nil", tc.status)
			case e.Status != tc.status:
				t.Fatalf("status %d, want %d (%v)", e.Status, tc.status, e)
			case tc.status == 400 && e.Code != CodeValidationFailed,
				tc.status == 413 && e.Code != CodePayloadTooLarge:
				t.Fatalf("code %s", e.Code)
			}
		})
	}
}

func TestClientIP(t *testing.T) {
	res := NewClientIPResolver([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")})
	cases := []struct {
		remote string
		xff    []string
		want   string
	}{
		{"203.0.113.9:5000", nil, "203.0.113.9"},
		{"203.0.113.9:5000", []string{"1.2.3.4"}, "203.0.113.9"}, // untrusted peer: header ignored
		{"10.0.0.1:5000", []string{"1.2.3.4"}, "1.2.3.4"},
		{"10.0.0.1:5000", []string{"6.6.6.6, 1.2.3.4, 10.0.0.2"}, "1.2.3.4"}, // right-most untrusted
		{"10.0.0.1:5000", []string{"6.6.6.6", "1.2.3.4"}, "1.2.3.4"},         // several headers
		{"10.0.0.1:5000", []string{"10.0.0.3, 10.0.0.2"}, "10.0.0.3"},        // all trusted
		{"10.0.0.1:5000", []string{"garbage, 10.0.0.2"}, "10.0.0.2"},
		{"10.0.0.1:5000", nil, "10.0.0.1"},
		{"[::ffff:10.0.0.1]:5000", []string{"2001:db8::1"}, "2001:db8::1"},
		{"[2001:db8::5]:80", nil, "2001:db8::5"},
	}
	for _, tc := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.remote
		for _, v := range tc.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := res.ClientIP(r); got != tc.want {
			t.Errorf("%s %v: got %s, want %s", tc.remote, tc.xff, got, tc.want)
		}
	}
	var none *ClientIPResolver
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.0.0.1:1"
	r.Header.Set("X-Forwarded-For", "1.2.3.4")
	if got := none.ClientIP(r); got != "10.0.0.1" {
		t.Errorf("nil resolver trusted the header: %s", got)
	}
}

func TestBearerToken(t *testing.T) {
	cases := map[string]string{
		"Bearer abc":  "abc",
		"bearer abc":  "abc",
		"BEARER  abc": "abc",
		"Basic abc":   "",
		"Bearer":      "",
		"Bearer ":     "",
		"abc":         "",
	}
	for h, want := range cases {
		r := httptest.NewRequest("GET", "/?access_token=url", nil)
		r.Header.Set("Authorization", h)
		got, ok := BearerToken(r)
		if got != want || ok != (want != "") {
			t.Errorf("%q: got %q %v", h, got, ok)
		}
	}
	r := httptest.NewRequest("GET", "/?access_token=url", nil)
	if tok, ok := BearerToken(r); ok {
		t.Errorf("token read from URL: %q", tok)
	}
}

func TestCookies(t *testing.T) {
	if CookieName(AccessCookie, true) != "__Host-helpr_access" || CookieName(AccessCookie, false) != "helpr_access" {
		t.Fatal("cookie names")
	}
	rec := httptest.NewRecorder()
	SetTokenCookie(rec, AccessCookie, "tok", time.Hour, true)
	c := rec.Result().Cookies()[0]
	if c.Name != AccessCookie || !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.MaxAge != 3600 {
		t.Fatalf("cookie %+v", c)
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(c)
	if v, ok := CookieToken(r, AccessCookie); !ok || v != "tok" {
		t.Fatalf("CookieToken %q %v", v, ok)
	}
	rec = httptest.NewRecorder()
	ClearTokenCookie(rec, RefreshCookie, false)
	c = rec.Result().Cookies()[0]
	if c.Name != "helpr_refresh" || c.MaxAge >= 0 || c.Secure {
		t.Fatalf("clear cookie %+v", c)
	}
}

func TestSameOrigin(t *testing.T) {
	const pub = "http://127.0.0.1:8080"
	for origin, want := range map[string]bool{
		pub:                      true,
		"":                       false,
		"http://127.0.0.1:8081":  false,
		"http://127.0.0.1:8080/": false,
		"HTTP://127.0.0.1:8080":  false,
		"null":                   false,
	} {
		r := httptest.NewRequest("POST", "/", nil)
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		if got := SameOrigin(r, pub); got != want {
			t.Errorf("%q: %v", origin, got)
		}
	}
	r := httptest.NewRequest("POST", "/", nil)
	r.Header.Set("Origin", "")
	if SameOrigin(r, "") {
		t.Error("empty public origin matched")
	}
}
