package api

import (
	"context"
	"net/http"

	"github.com/helpr-chat/helpr/storage"
)

// audit appends e, stamped with an id, the client IP, user agent and time.
// It never fails the request: a failed append is logged (action only).
// Callers must keep secrets, tokens and PII out of e.Detail.
func (a *API) audit(r *http.Request, e storage.AuditEvent) {
	e.ID = storage.NewID("aud")
	e.IP = a.clientIP(r)
	e.UserAgent = truncate(r.UserAgent(), maxUALen)
	e.CreatedAt = a.nowMs()
	if err := a.cfg.Store.AppendAudit(context.WithoutCancel(r.Context()), e); err != nil {
		a.log.Warn().Err(err).Str("action", e.Action).Msg("audit append failed")
	}
}
