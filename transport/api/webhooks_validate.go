package api

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/helpr-chat/helpr/transport/httpx"
	"github.com/helpr-chat/helpr/transport/webhook"
)

// Webhook endpoint limits.
const (
	maxWebhookDescription = 200 // runes
	maxWebhookEndpoints   = 50  // per organisation
	maxWebhookOverlap     = 604800
	defaultWebhookOverlap = 86400
)

// codeWebhookURLRefused answers an endpoint URL whose host is internal.
const codeWebhookURLRefused = "webhook_url_refused"

// checkWebhookURL validates an endpoint URL: http or https, at most 2048
// bytes, no user info, no fragment, and a host that is public or listed in
// Config.WebhookAllowHosts (resolved now; the dialer checks again on every
// attempt). The URL is never echoed: it may hold a receiver's token.
func (a *API) checkWebhookURL(raw string) error {
	if strings.TrimSpace(raw) != raw {
		return invalid("url must not have leading or trailing spaces")
	}
	err := webhook.CheckURL(raw, a.cfg.WebhookAllowHosts)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, webhook.ErrURLRefused):
		return httpx.NewError(http.StatusBadRequest, codeWebhookURLRefused,
			"url must reach a public address: loopback, private, link-local and metadata addresses are refused "+
				"(an operator can allow hosts with --webhook-allow-hosts)")
	case errors.Is(err, webhook.ErrInvalidURL):
		return invalid("url must be an http or https URL of at most 2048 characters with a host, " +
			"without user info or fragment")
	default:
		return err
	}
}

// checkWebhookEvents requires 1.. known events without duplicates.
func checkWebhookEvents(events []string) error {
	if len(events) == 0 {
		return invalid("events must name at least one event")
	}
	seen := make(map[string]bool, len(events))
	for _, ev := range events {
		if !slices.Contains(WebhookEvents, ev) {
			return invalid("events may hold only " + strings.Join(WebhookEvents, ", "))
		}
		if seen[ev] {
			return invalid("events must not repeat an event")
		}
		seen[ev] = true
	}
	return nil
}
