package api

import (
	"context"
	"net/http"
	"strings"

	"github.com/helpr-chat/helpr/storage"
)

// audit appends e, stamped with an id, the client IP, user agent and time.
// It never fails the request: a failed append is logged (action only).
// Callers must keep secrets, tokens and PII out of e.Detail. An event
// without an Outcome gets one from its action (failureAction).
func (a *API) audit(r *http.Request, e storage.AuditEvent) {
	if e.Outcome == "" {
		e.Outcome = storage.AuditSuccess
		if failureAction(e.Action) {
			e.Outcome = storage.AuditFailure
		}
	}
	e.ID = storage.NewID("aud")
	e.IP = a.clientIP(r)
	e.UserAgent = truncate(r.UserAgent(), maxUALen)
	e.CreatedAt = a.nowMs()
	if err := a.cfg.Store.AppendAudit(context.WithoutCancel(r.Context()), e); err != nil {
		a.log.Warn().Err(err).Str("action", e.Action).Msg("audit append failed")
	}
}

// failureAction reports whether action names a refused attempt: every
// "…_failed" action, and a replayed refresh token.
func failureAction(action string) bool {
	return strings.HasSuffix(action, "_failed") || action == "auth.refresh_reused"
}
