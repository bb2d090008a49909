package main

import (
	"context"
	"net/http"
	"time"

	"github.com/helpr-chat/helpr/internal/metrics"
	"github.com/helpr-chat/helpr/transport/httpx"
	"github.com/helpr-chat/helpr/widget"
)

// routes mounts every endpoint of the node.
func (a *app) routes(rest, metricsHandler http.Handler, m *metrics.Helpr) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/rest/v1/ws", a.ws)
	mux.Handle("/rest/v1/", rest)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", a.ready)
	mux.Handle("GET /metrics", metricsHandler)
	mux.Handle("/", http.FileServerFS(widget.Assets()))
	return a.logRequests(mux, m)
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
