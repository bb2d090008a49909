package api

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
)

// prefix is where every route lives.
const prefix = "/rest/v1"

// handlerFunc is an endpoint that reports failure by returning an error:
// an *httpx.Error is sent as it is, storage.ErrNotFound as not_found,
// storage.ErrConflict as conflict, anything else as a logged internal error.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// router registers method+path routes on a ServeMux and answers other
// methods on known paths with a JSON 405 and unknown paths with a JSON 404.
type router struct {
	a       *API
	mux     *http.ServeMux
	paths   []string
	methods map[string][]string
	routed  []string // "METHOD /path" as registered, without the prefix
}

func newRouter(a *API) *router {
	return &router{a: a, mux: http.NewServeMux(), methods: map[string][]string{}}
}

func (rt *router) handle(method, path string, h handlerFunc) {
	full := prefix + path
	rt.mux.Handle(method+" "+full, rt.a.serve(h))
	rt.routed = append(rt.routed, method+" "+path)
	if _, ok := rt.methods[full]; !ok {
		rt.paths = append(rt.paths, full)
	}
	rt.methods[full] = append(rt.methods[full], method)
	if method == http.MethodGet {
		rt.methods[full] = append(rt.methods[full], http.MethodHead)
	}
}

// routes lists the registered routes as "METHOD /path" (the path without
// /rest/v1, as in the scope table), in registration order. The implicit HEAD
// of a GET route and the 405/404 fallbacks are not listed.
func (rt *router) routes() []string { return slices.Clone(rt.routed) }

// fallbackMethods are the methods a known path answers 405 for when it has
// no route of that method. Registering the 405 per method (not one
// method-less pattern per path) keeps a literal path such as
// /invitations/accept next to a wildcard sibling such as
// /invitations/{id} unambiguous for the ServeMux.
// A GET pattern also matches HEAD, so HEAD has no entry of its own.
var fallbackMethods = []string{http.MethodGet, http.MethodPost,
	http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions}

// fallback registers the JSON 405 and 404 answers; call it last.
func (rt *router) fallback() {
	for _, p := range rt.paths {
		allow := strings.Join(rt.methods[p], ", ")
		notAllowed := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Allow", allow)
			httpx.WriteError(w, http.StatusMethodNotAllowed, httpx.CodeMethodNotAllowed, "method not allowed")
		})
		for _, m := range fallbackMethods {
			if !slices.Contains(rt.methods[p], m) {
				rt.mux.Handle(m+" "+p, notAllowed)
			}
		}
	}
	rt.mux.HandleFunc(prefix+"/", func(w http.ResponseWriter, _ *http.Request) {
		httpx.WriteError(w, http.StatusNotFound, httpx.CodeNotFound, "no such endpoint")
	})
}

func (a *API) serve(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			a.writeFail(w, r, err)
		}
	})
}

// writeFail sends err's public form and logs internal causes. Logged causes
// come from our own wrapping and never carry tokens, passwords or PII.
func (a *API) writeFail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, errUnavailable) { // logged (rate limited) where it was met
		httpx.WriteErr(w, errUnavailable)
		return
	}
	if storeUnavailable(err) {
		httpx.WriteErr(w, a.unavailable(r.Pattern, err))
		return
	}
	e := publicError(err)
	if e.Status >= http.StatusInternalServerError {
		a.log.Error().Err(err).Str("method", r.Method).Str("route", r.Pattern).Msg("request failed")
	}
	httpx.WriteErr(w, e)
}

func publicError(err error) *httpx.Error {
	var e *httpx.Error
	switch {
	case errors.As(err, &e):
		return e
	case errors.Is(err, storage.ErrNotFound):
		return httpx.NewError(http.StatusNotFound, httpx.CodeNotFound, "not found")
	case errors.Is(err, storage.ErrConflict):
		return httpx.NewError(http.StatusConflict, httpx.CodeConflict, "conflict")
	default:
		return httpx.Internal(err)
	}
}

// Public errors used across handlers.
var (
	errUnauthorized = httpx.NewError(http.StatusUnauthorized, httpx.CodeUnauthorized, "authentication required")
	errForbidden    = httpx.NewError(http.StatusForbidden, httpx.CodeForbidden, "not allowed")
	errNotFound     = httpx.NewError(http.StatusNotFound, httpx.CodeNotFound, "not found")
	errCrossOrigin  = httpx.NewError(http.StatusForbidden, httpx.CodeForbidden, "cross-origin request refused")
)

func invalid(msg string) *httpx.Error {
	return httpx.NewError(http.StatusBadRequest, httpx.CodeValidationFailed, msg)
}

// decode reads the JSON body into dst (64 KiB, strict).
func decode(w http.ResponseWriter, r *http.Request, dst any) error {
	if e := httpx.DecodeJSON(w, r, dst, maxBody); e != nil {
		return e
	}
	return nil
}

// statusWriter records the status code for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// logRequests logs method, route pattern (never the URL: queries may hold
// search text), status and duration at debug level.
func (a *API) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		a.log.Debug().Str("method", r.Method).Str("route", r.Pattern).
			Int("status", sw.status).Dur("took", time.Since(start)).Msg("request")
	})
}
