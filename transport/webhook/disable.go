package webhook

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/mail"
)

// endpointDisabled tells the organisation's owners that endpoint e was
// disabled (mail through the queue) and audits webhook.disabled. Neither
// failing undoes the disabling; both are logged.
func (d *Dispatcher) endpointDisabled(ctx context.Context, e storage.WebhookEndpoint) {
	d.cfg.Metrics.disabled(e.DisabledReason)
	d.log.Warn().Str("org_id", e.OrgID).Str("endpoint_id", e.ID).Str("reason", e.DisabledReason).
		Int("consecutive_failures", e.ConsecutiveFailures).Msg("webhook endpoint disabled")
	d.audit(ctx, storage.AuditEvent{ID: storage.NewID("aud"), OrgID: e.OrgID, Action: "webhook.disabled",
		TargetID: e.ID, Detail: fmt.Sprintf("reason %s, %d consecutive failures", e.DisabledReason, e.ConsecutiveFailures),
		Outcome: storage.AuditSuccess, CreatedAt: d.now()})
	d.mailOwners(ctx, e)
}

// audit appends e through Config.Audit or the store.
func (d *Dispatcher) audit(ctx context.Context, e storage.AuditEvent) {
	if d.cfg.Audit != nil {
		d.cfg.Audit(ctx, e)
		return
	}
	if err := d.cfg.Store.AppendAudit(ctx, e); err != nil {
		d.log.Warn().Err(err).Str("action", e.Action).Msg("audit append failed")
	}
}

// mailOwners queues the disabled notice to every active owner of e's
// organisation.
func (d *Dispatcher) mailOwners(ctx context.Context, e storage.WebhookEndpoint) {
	if d.cfg.Mailer == nil {
		d.log.Error().Str("kind", KindWebhookDisabled).Msg("mail not queued: no mailer configured")
		return
	}
	agents, err := d.cfg.Store.ListAgents(ctx, e.OrgID)
	if err != nil {
		d.log.Error().Err(err).Msg("list owners for the webhook disabled mail")
		return
	}
	for _, a := range agents {
		if a.Role != storage.RoleOwner || a.Deleted() || a.Deactivated() || a.Email == "" {
			continue
		}
		m := mail.Message{OrgID: e.OrgID, To: a.Email, Subject: "A helpr webhook endpoint was disabled",
			Text: d.disabledText(e), Kind: KindWebhookDisabled}
		if err := d.cfg.Mailer.Enqueue(ctx, m); err != nil {
			d.log.Error().Err(err).Str("kind", KindWebhookDisabled).Msg("mail not queued")
		}
	}
}

// disabledText is the notice's body. It names the endpoint by id and
// origin only: a URL's path or query may hold the receiver's own token.
func (d *Dispatcher) disabledText(e storage.WebhookEndpoint) string {
	origin := "(invalid url)"
	if u, err := url.Parse(e.URL); err == nil {
		origin = u.Scheme + "://" + u.Host
	}
	why := fmt.Sprintf("after %d consecutive failed deliveries", e.ConsecutiveFailures)
	if e.DisabledReason == storage.WebhookDisabledGone {
		why = "because it answered 410 Gone"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Your helpr webhook endpoint %s (%s) was disabled %s.\n\n", e.ID, origin, why)
	b.WriteString("No more events are sent to it. Fix the receiver, then re-enable the endpoint")
	if d.cfg.PublicOrigin != "" {
		fmt.Fprintf(&b, " in the console at %s", d.cfg.PublicOrigin)
	}
	b.WriteString(" (Webhooks); deliveries that failed meanwhile can be redelivered from its delivery log.\n")
	return b.String()
}
