package api

import (
	"strings"
	"sync/atomic"
	"testing"

	"github.com/helpr-chat/helpr/transport/webhook"
)

// publicHookURL is an endpoint URL on a public address literal: it passes
// the save-time check without DNS (the tests never send to it).
const publicHookURL = "https://93.184.216.34/hooks/helpr?token=abc"

// countingHooks is the real dispatcher counting Invalidate calls.
type countingHooks struct {
	*webhook.Dispatcher
	invalidations atomic.Int64
}

func (h *countingHooks) Invalidate(orgID string) {
	h.invalidations.Add(1)
	h.Dispatcher.Invalidate(orgID)
}

// newHookEnv is an env with a real dispatcher over its sealed store (not
// running: deliveries stay pending) and allow as WebhookAllowHosts.
func newHookEnv(t *testing.T, allow ...string) (*env, *countingHooks) {
	t.Helper()
	h := &countingHooks{}
	e := newEnv(t, func(c *Config) {
		d, err := webhook.New(webhook.Config{Store: c.Store.(webhook.Store), Now: c.Now, AllowHosts: allow})
		if err != nil {
			t.Fatalf("dispatcher: %v", err)
		}
		h.Dispatcher = d
		c.Webhooks, c.WebhookAllowHosts = h, allow
	})
	return e, h
}

type hookOut struct {
	ID                  string   `json:"id"`
	URL                 string   `json:"url"`
	Description         string   `json:"description"`
	Events              []string `json:"events"`
	Secret              string   `json:"secret"`
	Enabled             bool     `json:"enabled"`
	DisabledReason      *string  `json:"disabled_reason"`
	ConsecutiveFailures int      `json:"consecutive_failures"`
	SecretRotating      bool     `json:"secret_rotating"`
}

type deliveryOut struct {
	ID            string  `json:"id"`
	EndpointID    string  `json:"endpoint_id"`
	Event         string  `json:"event"`
	Status        string  `json:"status"`
	Attempts      int     `json:"attempts"`
	LastError     *string `json:"last_error"`
	NextAttemptAt *string `json:"next_attempt_at"`
}

type deliveriesOut struct {
	Deliveries []deliveryOut `json:"deliveries"`
	NextCursor *string       `json:"next_cursor"`
}

// createHook creates an endpoint at url for events as tok's agent.
func (e *env) createHook(tok, url string, events ...string) hookOut {
	e.t.Helper()
	var out hookOut
	e.do("POST", "/rest/v1/webhooks", map[string]any{"url": url, "events": events}, bearer(tok)).
		expect(e.t, 201, "").json(e.t, &out)
	if !strings.HasPrefix(out.Secret, "whsec_") {
		e.t.Fatalf("created endpoint's secret %q", out.Secret)
	}
	return out
}
