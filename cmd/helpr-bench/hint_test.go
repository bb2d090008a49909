package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A server whose abuse limits are on refuses a load test; the error says
// which flags turn them off.
func TestAbuseLimitRefusalsNameTheFlags(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "60")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(`{"error":{"code":"rate_limited","message":"too many requests, retry later"}}`))
	}))
	defer srv.Close()
	_, err := newREST(srv.URL, srv.Client()).visitorSession(context.Background(), "pk_x")
	if err == nil || !strings.Contains(err.Error(), "--visitor-sessions-per-ip off") {
		t.Fatalf("visitor session refused: %v", err)
	}
	if h := refusalHint("rate_limited", 3600); !strings.Contains(h, "--conversations-per-visitor off") {
		t.Fatalf("conversation refusal hint %q", h)
	}
	if h := refusalHint("rate_limited", 0) + refusalHint("forbidden", 0); h != "" {
		t.Fatalf("hint %q for refusals the abuse limits did not cause", h)
	}
}
