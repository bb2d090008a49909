package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
)

// widgetFinder finds a widget by its publishable key. It must be safe for
// concurrent use; an unknown key yields an error wrapping storage.ErrNotFound.
// It is security.Sealed, so the front end gets the PII-sealing store like
// every other service: a raw backend does not compile here.
type widgetFinder interface {
	security.Sealed
	GetWidgetByKey(ctx context.Context, publishableKey string) (storage.Widget, error)
}

// asset is one built file held in memory with its validator.
type asset struct {
	name  string
	body  []byte
	ctype string
	etag  string
}

// web serves the front end (widget loader, widget iframe, console, demo and
// index pages) from the built assets, each page with its security headers.
type web struct {
	assets  map[string]asset // by file name in the assets root
	demo    *template.Template
	widgets widgetFinder
	log     zerolog.Logger
	origin  string   // the hub's public origin
	own     []string // origin, then its aliases (see ownOrigins)
	pageCSP string   // CSP of every page that must never be framed
	frameOf string   // CSP of the widget iframe without its frame-ancestors
}

// newWeb loads every file of root into memory. own are the origins
// browsers use for the hub, the public origin first (their hosts are
// allowed for WebSocket connections).
func newWeb(root fs.FS, widgets widgetFinder, own []string, log zerolog.Logger) (*web, error) {
	w := &web{assets: map[string]asset{}, widgets: widgets, log: log, origin: own[0], own: own}
	err := fs.WalkDir(root, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(root, name)
		if err != nil {
			return fmt.Errorf("read asset %s: %w", name, err)
		}
		sum := sha256.Sum256(body)
		w.assets[name] = asset{name: name, body: body, ctype: contentType(name), etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load web assets: %w", err)
	}
	if a, ok := w.assets["demo.html"]; ok {
		if w.demo, err = template.New("demo").Parse(string(a.body)); err != nil {
			return nil, fmt.Errorf("parse demo.html: %w", err)
		}
	}
	base := baseCSP(own)
	w.pageCSP = base + "; frame-ancestors 'none'"
	w.frameOf = base
	return w, nil
}

// baseCSP is the policy every page shares: files from the hub only, no
// inline script or style, WebSocket to the hub's own hosts.
func baseCSP(own []string) string {
	connect := []string{"'self'"}
	for _, o := range own {
		if cspHost(o) {
			connect = append(connect, wsOrigin(o))
		}
	}
	return "default-src 'self'; script-src 'self'; style-src 'self'; connect-src " + strings.Join(connect, " ") +
		"; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'"
}

// wsOrigin is the WebSocket origin of an http(s) origin.
func wsOrigin(origin string) string {
	if rest, ok := strings.CutPrefix(origin, "https://"); ok {
		return "wss://" + rest
	}
	return "ws://" + strings.TrimPrefix(origin, "http://")
}

// contentType names the media type of a file by its extension.
func contentType(name string) string {
	switch path.Ext(name) {
	case ".js", ".mjs":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".html":
		return "text/html; charset=utf-8"
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

// mount adds the front-end routes to mux.
func (w *web) mount(mux *http.ServeMux) {
	mux.HandleFunc("GET /widget.js", w.loader)
	mux.HandleFunc("GET /widget/frame", w.frame)
	mux.Handle("GET /widget/frame.js", w.file("frame.js"))
	mux.Handle("GET /widget/frame.css", w.file("frame.css"))
	mux.Handle("GET /console", w.page("console.html"))
	mux.Handle("GET /console/{$}", w.page("console.html"))
	mux.Handle("GET /console/console.js", w.file("console.js"))
	mux.Handle("GET /console/console.css", w.file("console.css"))
	mux.HandleFunc("GET /demo", w.demoPage)
	mux.Handle("GET /{$}", w.page("index.html"))
	mux.HandleFunc("GET /favicon.ico", func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Cache-Control", "public, max-age=86400")
		rw.WriteHeader(http.StatusNoContent) // no icon, and no 404 in every page's console
	})
	for name := range w.assets {
		if path.Dir(name) == "site" { // shared style of the index and demo pages
			mux.Handle("GET /"+name, w.file(name))
		}
	}
}

// loader serves the widget loader, which host pages on any site load with a
// script tag: it must not carry a CORP header that blocks it.
func (w *web) loader(rw http.ResponseWriter, r *http.Request) {
	rw.Header().Set("Cross-Origin-Resource-Policy", "cross-origin")
	w.serve(rw, r, "widget.js", "public, max-age=300")
}

// file serves a script or style of the hub's own pages or of the widget
// iframe: only the hub's origin may load it.
func (w *web) file(name string) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Cross-Origin-Resource-Policy", "same-origin")
		w.serve(rw, r, name, "no-cache")
	})
}

// page serves an HTML page that must never be framed.
func (w *web) page(name string) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Security-Policy", w.pageCSP)
		rw.Header().Set("X-Frame-Options", "DENY")
		w.serve(rw, r, name, "no-cache")
	})
}

// serve writes asset name with conditional-request support, or 404.
func (w *web) serve(rw http.ResponseWriter, r *http.Request, name, cache string) {
	a, ok := w.assets[name]
	if !ok {
		http.NotFound(rw, r)
		return
	}
	rw.Header().Set("Content-Type", a.ctype)
	rw.Header().Set("Cache-Control", cache)
	rw.Header().Set("ETag", a.etag)
	http.ServeContent(rw, r, "", time.Time{}, bytes.NewReader(a.body))
}

// frame serves the widget iframe for ?key=pk_…: only the widget's allowed
// origins may frame it; an unknown or missing key is 404.
func (w *web) frame(rw http.ResponseWriter, r *http.Request) {
	wd, err := w.lookup(r.Context(), r.URL.Query().Get("key"))
	if errors.Is(err, storage.ErrNotFound) {
		http.NotFound(rw, r)
		return
	}
	if err != nil {
		w.log.Error().Err(err).Msg("widget frame: look up widget")
		http.Error(rw, "temporarily unavailable", http.StatusServiceUnavailable)
		return
	}
	rw.Header().Set("Content-Security-Policy", w.frameOf+"; frame-ancestors "+frameAncestors(w.withAliases(wd.AllowedOrigins)))
	w.serve(rw, r, "frame.html", "no-store")
}

// lookup finds the widget of a publishable key; a malformed key is
// storage.ErrNotFound without a store query.
func (w *web) lookup(ctx context.Context, key string) (storage.Widget, error) {
	if !validKey(key) {
		return storage.Widget{}, fmt.Errorf("widget key: %w", storage.ErrNotFound)
	}
	wd, err := w.widgets.GetWidgetByKey(ctx, key)
	if err == nil && !wd.AcceptsKey(key, time.Now()) { // a rotated-out key past its overlap
		err = storage.ErrNotFound
	}
	if err != nil {
		return storage.Widget{}, fmt.Errorf("widget by key: %w", err)
	}
	return wd, nil
}

// keyPattern is the shape of a publishable key; anything else is not looked up.
var keyPattern = regexp.MustCompile(`^pk_[A-Za-z0-9_-]{1,128}$`)

// validKey reports whether s looks like a publishable key.
func validKey(s string) bool { return keyPattern.MatchString(s) }

// originPattern is a serialised origin that is safe inside a CSP source list.
var originPattern = regexp.MustCompile(`^https?://[A-Za-z0-9.\-\[\]:]+$`)

// cspHost reports whether origin's host can be written in a CSP source
// expression: CSP has no syntax for IPv6 literals ("http://[::1]:8080" is an
// invalid source that browsers ignore with a console error), so such origins
// are left out — the same origin is covered by 'self'.
func cspHost(origin string) bool { return !strings.Contains(origin, "[") }

// frameAncestors is the CSP source list of the origins that may frame a
// widget: its allowed origins that are well-formed and expressible in CSP
// (and 'self' when given), or 'none'.
func frameAncestors(origins []string) string {
	var ok []string
	for _, o := range origins {
		if o == "'self'" || originPattern.MatchString(o) && cspHost(o) {
			ok = append(ok, o)
		}
	}
	if len(ok) == 0 {
		return "'none'"
	}
	return strings.Join(ok, " ")
}

// allowsHub reports whether a widget's allowed origins name the hub itself
// (its public origin or an alias), as the demo page needs.
func (w *web) allowsHub(allowed []string) bool {
	for _, o := range w.own {
		if slices.Contains(allowed, o) {
			return true
		}
	}
	return false
}

// withAliases returns a widget's allowed origins plus every origin of the
// hub and 'self' when they name one of them: a widget allowed on
// http://127.0.0.1:8080 may also be framed by the same hub's page at
// http://localhost:8080 or http://[::1]:8080 (which only 'self' can express).
func (w *web) withAliases(allowed []string) []string {
	if !w.allowsHub(allowed) {
		return allowed
	}
	out := slices.Clone(allowed)
	for _, o := range append(slices.Clone(w.own), "'self'") {
		if !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	return out
}

// demoData is what demo.html shows: the widget key to embed (empty: the
// page explains how to get one) and why a given key cannot be used.
type demoData struct {
	Key        string // a known widget allowed on the hub's origin
	Origin     string // the hub's public origin
	Unknown    bool   // ?key= names no widget
	NotAllowed bool   // the widget does not allow the hub's origin
}

// demoPage serves the demo host page; with ?key=pk_… of a widget allowed on
// the hub's own origin it embeds that widget's loader, otherwise the page
// explains how to get such a key.
func (w *web) demoPage(rw http.ResponseWriter, r *http.Request) {
	if w.demo == nil {
		http.NotFound(rw, r)
		return
	}
	d := demoData{Origin: w.origin}
	if key := r.URL.Query().Get("key"); key != "" {
		wd, err := w.lookup(r.Context(), key)
		switch {
		case errors.Is(err, storage.ErrNotFound):
			d.Unknown = true
		case err != nil:
			w.log.Error().Err(err).Msg("demo page: look up widget")
			http.Error(rw, "temporarily unavailable", http.StatusServiceUnavailable)
			return
		case !w.allowsHub(wd.AllowedOrigins):
			d.NotAllowed = true
		default:
			d.Key = key
		}
	}
	var buf bytes.Buffer
	if err := w.demo.Execute(&buf, d); err != nil {
		w.log.Error().Err(err).Msg("demo page: render")
		http.Error(rw, "internal error", http.StatusInternalServerError)
		return
	}
	rw.Header().Set("Content-Security-Policy", w.pageCSP)
	rw.Header().Set("X-Frame-Options", "DENY")
	rw.Header().Set("Content-Type", "text/html; charset=utf-8")
	rw.Header().Set("Cache-Control", "no-store")
	_, _ = rw.Write(buf.Bytes())
}
