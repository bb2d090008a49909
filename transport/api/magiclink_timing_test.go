package api

import (
	"context"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
)

// gatedLookup holds every ListAgentsByEmail until gate is closed.
type gatedLookup struct {
	*security.SealedStore
	gate chan struct{}
}

func (g gatedLookup) ListAgentsByEmail(ctx context.Context, email string) ([]storage.Agent, error) {
	<-g.gate
	return g.SealedStore.ListAgentsByEmail(ctx, email)
}

// The 202 reaches the client before the address is looked up, so its
// timing cannot tell an address with an account from one without.
func TestMailRequestsAnswerBeforeTheLookup(t *testing.T) {
	t.Parallel()
	gate := make(chan struct{})
	m := &captureMailer{}
	e := newEnv(t, func(c *Config) {
		c.Store = gatedLookup{SealedStore: c.Store.(*security.SealedStore), gate: gate}
		c.Mailer = m
	})
	owner, _ := e.seedOrg("Acme")
	for _, path := range []string{"/rest/v1/auth/magic-link", "/rest/v1/auth/password/forgot"} {
		done := make(chan resp, 1)
		go func() { done <- e.do("POST", path, map[string]any{"email": owner.Email}) }()
		select {
		case r := <-done:
			r.expect(t, 202, "")
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: no answer while the lookup is held", path)
		}
	}
	if n := len(m.messages("")); n != 0 {
		t.Fatalf("%d mails before the lookup", n)
	}
	close(gate)
	e.settle()
	if n := len(m.messages("")); n != 2 {
		t.Fatalf("%d mails after the lookup, want 2", n)
	}
}
