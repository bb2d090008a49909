package httpx

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A bearer token read from an attacker's Authorization header is either
// refused or a non-empty, trimmed value that the header really carried
// after a case-insensitive "Bearer" scheme.
func FuzzBearerToken(f *testing.F) {
	for _, s := range []string{"Bearer hla_abc", "bearer  x ", "Basic abc", "Bearer", "Bearer \t", "BEARER a b", "\x00Bearer a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header["Authorization"] = []string{header}
		token, ok := BearerToken(r)
		if !ok {
			if token != "" {
				t.Fatalf("refused header %q still gave token %q", header, token)
			}
			return
		}
		if token == "" || token != strings.TrimSpace(token) {
			t.Fatalf("header %q gave untrimmed or empty token %q", header, token)
		}
		scheme, rest, _ := strings.Cut(strings.TrimSpace(header), " ")
		if !strings.EqualFold(scheme, "Bearer") || !strings.Contains(rest, token) {
			t.Fatalf("header %q gave token %q not after a Bearer scheme", header, token)
		}
	})
}

// A cookie token comes only from a cookie of exactly the asked name and is
// never empty, whatever the Cookie header holds.
func FuzzCookieToken(f *testing.F) {
	for _, s := range []string{"__Host-helpr_access=abc", "helpr_access=; __Host-helpr_access=x", "a=b;;c", "__Host-helpr_access=\"q\"", "=;=;"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header["Cookie"] = []string{header}
		token, ok := CookieToken(r, AccessCookie)
		if ok != (token != "") {
			t.Fatalf("cookie header %q: ok=%v with token %q", header, ok, token)
		}
		if ok && !strings.Contains(header, AccessCookie) {
			t.Fatalf("cookie header %q without the name gave %q", header, token)
		}
	})
}

// DecodeJSON answers any body with success or a 400/413 Error, never a
// panic or another status, and never echoes the body in its message.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"name":"a","n":1}`, `{"name":"a"} {}`, `{"x":1}`, `[`, ``, `{"name":` + strings.Repeat("[", 100), `"\ud800"`} {
		f.Add([]byte(s))
	}
	type body struct {
		Name string `json:"name"`
		N    int    `json:"n"`
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("POST", "/", bytes.NewReader(data))
		r.Header.Set("Content-Type", "application/json")
		var dst body
		herr := DecodeJSON(w, r, &dst, 256)
		if herr == nil {
			return
		}
		if herr.Status != http.StatusBadRequest && herr.Status != http.StatusRequestEntityTooLarge {
			t.Fatalf("body %q: status %d", data, herr.Status)
		}
		if len(data) > 8 && strings.Contains(herr.Message, string(data)) {
			t.Fatalf("message %q echoes the body", herr.Message)
		}
	})
}
