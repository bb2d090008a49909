package api

import (
	"time"

	"github.com/helpr-chat/helpr/storage"
)

// webhookView is an endpoint as the API shows it: never its secret.
type webhookView struct {
	ID                  string    `json:"id"`
	URL                 string    `json:"url"`
	Description         string    `json:"description"`
	Events              []string  `json:"events"`
	Enabled             bool      `json:"enabled"`
	DisabledReason      *string   `json:"disabled_reason"` // null while enabled
	ConsecutiveFailures int       `json:"consecutive_failures"`
	SecretRotating      bool      `json:"secret_rotating"` // the previous secret still signs
	CreatedAt           time.Time `json:"created_at"`
	UpdatedAt           time.Time `json:"updated_at"`
}

func (a *API) viewWebhook(e storage.WebhookEndpoint) webhookView {
	events := e.Events
	if events == nil {
		events = []string{}
	}
	v := webhookView{ID: e.ID, URL: e.URL, Description: e.Description, Events: events, Enabled: e.Enabled,
		ConsecutiveFailures: e.ConsecutiveFailures, CreatedAt: e.CreatedAt.UTC(), UpdatedAt: e.UpdatedAt.UTC(),
		SecretRotating: e.PreviousSecret != "" && a.now().Before(e.PreviousSecretUntil)}
	if !e.Enabled {
		reason := e.DisabledReason
		if reason == "" {
			reason = storage.WebhookDisabledManual
		}
		v.DisabledReason = &reason
	}
	return v
}

// webhookCreatedView is the answer to POST /webhooks: the only time the
// secret is shown, with the endpoint.
type webhookCreatedView struct {
	webhookView
	Secret string `json:"secret"`
}

// webhookSecretView answers POST /webhooks/{id}/rotate-secret.
type webhookSecretView struct {
	ID                  string     `json:"id"`
	Secret              string     `json:"secret"`
	PreviousSecretUntil *time.Time `json:"previous_secret_until"` // null: the old secret stopped at once
}

// deliveryView is one delivery of the log (never its body).
type deliveryView struct {
	ID             string                `json:"id"`
	EndpointID     string                `json:"endpoint_id"`
	Event          string                `json:"event"`
	Status         storage.WebhookStatus `json:"status"`
	Attempts       int                   `json:"attempts"`
	LastStatusCode *int                  `json:"last_status_code"` // null until an answer came
	LastLatencyMs  *int64                `json:"last_latency_ms"`  // null until attempted
	LastError      *string               `json:"last_error"`
	NextAttemptAt  *time.Time            `json:"next_attempt_at"` // null once final
	CreatedAt      time.Time             `json:"created_at"`
	DeliveredAt    *time.Time            `json:"delivered_at"`
}

func viewDelivery(d storage.WebhookDelivery) deliveryView {
	v := deliveryView{ID: d.ID, EndpointID: d.EndpointID, Event: d.Event, Status: d.Status, Attempts: d.Attempts,
		CreatedAt: d.CreatedAt.UTC()}
	if d.LastStatusCode != 0 {
		code := d.LastStatusCode
		v.LastStatusCode = &code
	}
	if d.Attempts > 0 && (d.LastStatusCode != 0 || d.LastError != "" || d.LastLatencyMs != 0) {
		ms := d.LastLatencyMs
		v.LastLatencyMs = &ms
	}
	if d.LastError != "" {
		e := d.LastError
		v.LastError = &e
	}
	if !d.Status.Final() && !d.NextAttemptAt.IsZero() {
		t := d.NextAttemptAt.UTC()
		v.NextAttemptAt = &t
	}
	if !d.DeliveredAt.IsZero() {
		t := d.DeliveredAt.UTC()
		v.DeliveredAt = &t
	}
	return v
}

func viewDeliveries(ds []storage.WebhookDelivery) []deliveryView {
	out := make([]deliveryView, 0, len(ds))
	for _, d := range ds {
		out = append(out, viewDelivery(d))
	}
	return out
}
