package api

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// A literal path beside a wildcard sibling with other methods (POST
// /invitations/accept, DELETE /invitations/{id}) must register without a
// ServeMux conflict and still answer 405 with Allow for the wrong method.
func TestRouterLiteralBesideWildcard(t *testing.T) {
	rt := newRouter(&API{})
	ok := func(http.ResponseWriter, *http.Request) error { return nil }
	rt.handle("POST", "/things/accept", ok)
	rt.handle("DELETE", "/things/{id}", ok)
	rt.handle("GET", "/things", ok)
	rt.fallback()
	for _, c := range []struct {
		method, path, allow string
		status              int
	}{
		{"POST", "/things/accept", "", 200},
		{"DELETE", "/things/x1", "", 200},
		{"GET", "/things/accept", "POST", 405},
		{"POST", "/things/x1", "DELETE", 405},
		{"DELETE", "/things", "GET, HEAD", 405},
		{"GET", "/nothing", "", 404},
	} {
		w := httptest.NewRecorder()
		rt.mux.ServeHTTP(w, httptest.NewRequest(c.method, prefix+c.path, nil))
		if w.Code != c.status || w.Header().Get("Allow") != c.allow {
			t.Errorf("%s %s: %d Allow %q, want %d Allow %q", c.method, c.path, w.Code, w.Header().Get("Allow"), c.status, c.allow)
		}
	}
}
