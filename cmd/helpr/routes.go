package main

import (
	"context"
	"net/http"
	"time"

	"github.com/helpr-chat/helpr/internal/metrics"
	"github.com/helpr-chat/helpr/transport/httpx"
	"github.com/helpr-chat/helpr/transport/ws"
	"github.com/helpr-chat/helpr/widget"
)

// routes mounts every endpoint of the node.
// GET /metrics is there only with a metrics token (behind it); otherwise
// metrics are on their own listener (metrics_listener.go) and /metrics here
// is 404.
func (a *app) routes(rest, metricsHandler http.Handler, metricsToken []byte, m *metrics.Helpr) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/rest/v1/ws", a.ws)
	mux.HandleFunc(ws.CheckPath, a.ws.Check)
	mux.Handle("/rest/v1/", rest)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", a.ready)
	if metricsToken != nil {
		mux.Handle("GET /metrics", metricsBehindToken(metricsHandler, metricsToken))
	}
	a.mountWeb(mux)
	return a.logRequests(securityHeaders(mux, a.cfg.TLSCert != ""), m)
}

// mountWeb adds the front end: the widget loader and iframe, the console, the
// demo and index pages. The assets are embedded, so loading them fails only
// on a broken build; then the front end answers 500 and the API still works.
func (a *app) mountWeb(mux *http.ServeMux) {
	w, err := newWeb(widget.Assets(), a.sealed, ownOrigins(a.cfg), a.log)
	if err != nil {
		a.log.Error().Err(err).Msg("front end unavailable")
		mux.HandleFunc("GET /", func(rw http.ResponseWriter, r *http.Request) {
			httpx.WriteError(rw, http.StatusInternalServerError, "internal", "the front end is unavailable")
		})
		return
	}
	w.mount(mux)
}

// ready reports whether the store answers.
func (a *app) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := a.store.Ping(ctx); err != nil {
		a.log.Warn().Err(err).Msg("readiness: store unreachable")
		httpx.WriteError(w, http.StatusServiceUnavailable, "not_ready", "storage is unreachable")
		return
	}
	if err := a.cluster.ping(ctx); err != nil {
		a.log.Warn().Err(err).Msg("readiness: redis unreachable")
		httpx.WriteError(w, http.StatusServiceUnavailable, "not_ready", "redis is unreachable")
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}
