package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/helpr-chat/helpr/transport/mail"
)

// Mailer queues outgoing mail durably (a *mail.Queue): Enqueue returns nil
// only once the message is stored, so a restart loses nothing it accepted.
// It must be safe for concurrent use.
type Mailer interface {
	Enqueue(ctx context.Context, m mail.Message) error
}

// errNoMailer refuses a flow that needs email when the API has no Mailer.
var errNoMailer = errors.New("api: no mailer configured")

// sendMail queues m detached from the request's cancellation. A failure is
// logged by kind only (never the address or the body) and returned, so a
// flow whose whole point is the mail can answer 503 while one that only
// notifies (an alert) goes on.
func (a *API) sendMail(r *http.Request, m mail.Message) error {
	if a.cfg.Mailer == nil {
		a.log.Error().Str("kind", m.Kind).Msg("mail not queued: no mailer configured")
		return errNoMailer
	}
	if err := a.cfg.Mailer.Enqueue(context.WithoutCancel(r.Context()), m); err != nil {
		a.log.Error().Err(err).Str("kind", m.Kind).Msg("mail not queued")
		return err
	}
	return nil
}
