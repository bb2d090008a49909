package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/rs/zerolog"
)

// testAssets stands for the built front end, so header tests do not depend
// on which bundles have landed in widget/dist.
var testAssets = fstest.MapFS{
	"widget.js":     {Data: []byte("/*loader*/")},
	"frame.html":    {Data: []byte("<!doctype html><title>frame</title>")},
	"frame.js":      {Data: []byte("/*frame*/")},
	"frame.css":     {Data: []byte("/*frame css*/")},
	"console.html":  {Data: []byte("<!doctype html><title>console</title>")},
	"console.js":    {Data: []byte("/*console*/")},
	"console.css":   {Data: []byte("/*console css*/")},
	"index.html":    {Data: []byte("<!doctype html><title>index</title>")},
	"site/site.css": {Data: []byte("/*site*/")},
	"demo.html": {Data: []byte(`<!doctype html>{{if .Key}}<script src="/widget.js" data-key="{{.Key}}" async></script>` +
		`{{else}}{{if .Unknown}}unknown{{end}}{{if .NotAllowed}}not allowed on {{.Origin}}{{end}}{{end}}`)},
}

// webServer serves testAssets through the real security middleware, looking
// widgets up in a real node's store; it returns the server and a tenant whose
// widget allows https://shop.example and http://127.0.0.1:9.
func webServer(t *testing.T, hsts bool) (*httptest.Server, tenant) {
	t.Helper()
	n := startNode(t, t.TempDir(), "127.0.0.1:0")
	tn := n.registerTenant("Acme", "owner@acme.test", "https://shop.example")
	var w struct {
		PublishableKey string `json:"publishable_key"`
	}
	if code := n.call("POST", "/rest/v1/widgets", tn.owner.AccessToken, map[string]any{
		"name": "two", "allowed_origins": []string{"https://shop.example", "http://127.0.0.1:9"},
	}, &w); code != http.StatusCreated {
		t.Fatalf("create widget: %d", code)
	}
	tn.widgetKey = w.PublishableKey
	web, err := newWeb(testAssets, n.app.sealed, []string{"https://chat.example"}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	web.mount(mux)
	srv := httptest.NewServer(securityHeaders(mux, hsts))
	t.Cleanup(srv.Close)
	return srv, tn
}

// get fetches path and returns the response with its body read.
func get(t *testing.T, base, path string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// checkCommon asserts the headers every response carries.
func checkCommon(t *testing.T, path string, h http.Header) {
	t.Helper()
	if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("%s: X-Content-Type-Options %q", path, got)
	}
	if got := h.Get("Referrer-Policy"); got != "strict-origin-when-cross-origin" {
		t.Errorf("%s: Referrer-Policy %q", path, got)
	}
	csp := h.Get("Content-Security-Policy")
	if csp == "" || strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("%s: CSP %q", path, csp)
	}
}

func TestWebPagesCannotBeFramed(t *testing.T) {
	srv, tn := webServer(t, false)
	for _, p := range []string{"/", "/console", "/console/", "/demo", "/demo?key=" + tn.widgetKey} {
		resp, _ := get(t, srv.URL, p)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d", p, resp.StatusCode)
		}
		checkCommon(t, p, resp.Header)
		csp := resp.Header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self'",
			"connect-src 'self' wss://chat.example", "img-src 'self' data:", "frame-ancestors 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", p, csp, want)
			}
		}
		if resp.Header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: X-Frame-Options %q", p, resp.Header.Get("X-Frame-Options"))
		}
		if resp.Header.Get("Strict-Transport-Security") != "" {
			t.Errorf("%s: HSTS without TLS", p)
		}
	}
}

func TestWebFrameAncestorsAreTheWidgetsOrigins(t *testing.T) {
	srv, tn := webServer(t, false)
	resp, body := get(t, srv.URL, "/widget/frame?key="+tn.widgetKey)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "frame") {
		t.Fatalf("frame: status %d body %q", resp.StatusCode, body)
	}
	checkCommon(t, "frame", resp.Header)
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.HasSuffix(csp, "; frame-ancestors https://shop.example http://127.0.0.1:9") {
		t.Errorf("frame CSP %q", csp)
	}
	if resp.Header.Get("X-Frame-Options") != "" {
		t.Errorf("frame must not send X-Frame-Options (it would forbid the allowed origins)")
	}
	for _, p := range []string{"/widget/frame", "/widget/frame?key=pk_unknown", "/widget/frame?key=" + url.QueryEscape("pk_x;script-src *")} {
		if resp, _ := get(t, srv.URL, p); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", p, resp.StatusCode)
		}
	}
}

func TestWebFrameAncestorsDropMalformedOrigins(t *testing.T) {
	if got := frameAncestors([]string{"https://a.example; script-src *", "https://b.example:8443"}); got != "https://b.example:8443" {
		t.Errorf("frameAncestors = %q", got)
	}
	if got := frameAncestors(nil); got != "'none'" {
		t.Errorf("frameAncestors(nil) = %q", got)
	}
}

func TestWebLoaderIsLoadableCrossSite(t *testing.T) {
	srv, _ := webServer(t, false)
	resp, body := get(t, srv.URL, "/widget.js")
	if resp.StatusCode != http.StatusOK || body != "/*loader*/" {
		t.Fatalf("widget.js: %d %q", resp.StatusCode, body)
	}
	checkCommon(t, "/widget.js", resp.Header)
	if got := resp.Header.Get("Cross-Origin-Resource-Policy"); got != "cross-origin" {
		t.Errorf("widget.js CORP %q", got)
	}
	if got := resp.Header.Get("Content-Type"); got != "text/javascript; charset=utf-8" {
		t.Errorf("widget.js Content-Type %q", got)
	}
	req, _ := http.NewRequest("GET", srv.URL+"/widget.js", nil)
	req.Header.Set("If-None-Match", resp.Header.Get("ETag"))
	again, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	again.Body.Close()
	if again.StatusCode != http.StatusNotModified {
		t.Errorf("conditional widget.js: %d", again.StatusCode)
	}
}

func TestWebStaticFilesAndUnknownPaths(t *testing.T) {
	srv, _ := webServer(t, false)
	for p, ctype := range map[string]string{
		"/widget/frame.js": "text/javascript", "/widget/frame.css": "text/css",
		"/console/console.js": "text/javascript", "/console/console.css": "text/css", "/site/site.css": "text/css",
	} {
		resp, _ := get(t, srv.URL, p)
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), ctype) {
			t.Errorf("%s: %d %q", p, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if got := resp.Header.Get("Cross-Origin-Resource-Policy"); got != "same-origin" {
			t.Errorf("%s: CORP %q", p, got)
		}
		checkCommon(t, p, resp.Header)
	}
	for _, p := range []string{"/frame.html", "/demo.html", "/nope", "/widget/frame.html"} {
		resp, _ := get(t, srv.URL, p)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", p, resp.StatusCode)
		}
		checkCommon(t, p, resp.Header)
	}
}

func TestWebDemoEmbedsOnlyAWidgetAllowedOnTheHub(t *testing.T) {
	srv, tn := webServer(t, false)
	hubKey := tn.widgetKey // webServer's tenant widget allows only other sites
	cases := map[string]string{
		"":              "",
		"pk_unknown":    "unknown",
		hubKey:          "not allowed on https://chat.example",
		`pk_"><b>x</b>`: "unknown",
	}
	for key, want := range cases {
		_, body := get(t, srv.URL, "/demo?key="+url.QueryEscape(key))
		if !strings.HasSuffix(body, want) || strings.Contains(body, "data-key") || strings.Contains(body, "<b>") {
			t.Errorf("demo?key=%q: %q, want it to end with %q and embed nothing", key, body, want)
		}
	}
}

func TestWebDemoEmbedsTheWidget(t *testing.T) {
	n := startNode(t, t.TempDir(), "127.0.0.1:0")
	tn := n.registerTenant("Acme", "owner@acme.test", "https://chat.example")
	web, err := newWeb(testAssets, n.app.sealed, []string{"https://chat.example"}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	web.mount(mux)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/demo?key="+tn.widgetKey, nil))
	if want := `<script src="/widget.js" data-key="` + tn.widgetKey + `" async></script>`; rec.Code != http.StatusOK || rec.Body.String() != "<!doctype html>"+want {
		t.Errorf("demo: %d %q", rec.Code, rec.Body.String())
	}
}

func TestWebEmbeddedDemoPageParses(t *testing.T) {
	n := startNode(t, t.TempDir(), "127.0.0.1:0")
	for _, p := range []string{"/demo", "/demo?key=pk_nope"} {
		resp, body := get(t, n.base, p)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "/demo?key=pk_") || !strings.Contains(body, n.base) {
			t.Errorf("%s: %d %q", p, resp.StatusCode, body)
		}
	}
}

func TestWebHSTSOnlyWithTLS(t *testing.T) {
	srv, _ := webServer(t, true)
	resp, _ := get(t, srv.URL, "/console")
	if got := resp.Header.Get("Strict-Transport-Security"); !strings.HasPrefix(got, "max-age=") {
		t.Errorf("HSTS %q", got)
	}
}

func TestWebHeadersOnTheRealNode(t *testing.T) {
	n := startNode(t, t.TempDir(), "127.0.0.1:0")
	for _, p := range []string{"/", "/demo", "/healthz", "/rest/v1/widgets", "/nope"} {
		resp, _ := get(t, n.base, p)
		checkCommon(t, p, resp.Header)
	}
	resp, _ := get(t, n.base, "/")
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "connect-src 'self' ws://"+n.addr()) {
		t.Errorf("index: %d CSP %q", resp.StatusCode, resp.Header.Get("Content-Security-Policy"))
	}
}
