package api

import (
	"context"
	"sync"

	"github.com/helpr-chat/helpr/transport/mail"
)

// captureMailer is the API tests' Mailer: it keeps what was queued. The
// real queue and SMTP delivery are tested in transport/mail and, end to
// end through a real SMTP server, in cmd/helpr.
type captureMailer struct {
	mu   sync.Mutex
	sent []mail.Message
}

func (c *captureMailer) Enqueue(_ context.Context, m mail.Message) error {
	c.mu.Lock()
	c.sent = append(c.sent, m)
	c.mu.Unlock()
	return nil
}

// messages returns a copy of what was queued, optionally only of kind.
func (c *captureMailer) messages(kind string) []mail.Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []mail.Message
	for _, m := range c.sent {
		if kind == "" || m.Kind == kind {
			out = append(out, m)
		}
	}
	return out
}
