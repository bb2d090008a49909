package api

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/helpr-chat/helpr/storage"
)

// emitted is one Emit call seen by fakeHooks.
type emitted struct {
	org, event string
	data       json.RawMessage
}

// fakeHooks is a Webhooks recording every call.
type fakeHooks struct {
	mu          sync.Mutex
	emits       []emitted
	forgotten   []string // "org/visitor"
	invalidated []string
	calls       []string // "emit:event" and "forget" in call order
}

func (f *fakeHooks) Emit(_ context.Context, orgID, event string, data any) error {
	raw, err := json.Marshal(data)
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.emits = append(f.emits, emitted{orgID, event, raw})
	f.calls = append(f.calls, "emit:"+event)
	return nil
}

func (f *fakeHooks) ForgetVisitor(_ context.Context, orgID, visitorID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.forgotten = append(f.forgotten, orgID+"/"+visitorID)
	f.calls = append(f.calls, "forget")
	return nil
}

func (f *fakeHooks) Invalidate(orgID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.invalidated = append(f.invalidated, orgID)
}

func (f *fakeHooks) Test(context.Context, string, string) (storage.WebhookDelivery, error) {
	return storage.WebhookDelivery{}, storage.ErrNotFound
}

func (f *fakeHooks) Redeliver(context.Context, string, string) (storage.WebhookDelivery, error) {
	return storage.WebhookDelivery{}, storage.ErrNotFound
}

// of returns the emits of event.
func (f *fakeHooks) of(event string) []emitted {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []emitted
	for _, e := range f.emits {
		if e.event == event {
			out = append(out, e)
		}
	}
	return out
}

func withHooks(h Webhooks) func(*Config) { return func(c *Config) { c.Webhooks = h } }

// wantOne fails unless exactly one emit of event exists, and decodes it.
func wantOne(t *testing.T, f *fakeHooks, event, org string, dst any) string {
	t.Helper()
	got := f.of(event)
	if len(got) != 1 || got[0].org != org {
		t.Fatalf("%s: %d emits (%+v), want one for %s", event, len(got), got, org)
	}
	if err := json.Unmarshal(got[0].data, dst); err != nil {
		t.Fatal(err)
	}
	return string(got[0].data)
}

func TestEmitVisitorCreatedOnlyForNewVisitors(t *testing.T) {
	t.Parallel()
	f := &fakeHooks{}
	e := newEnv(t, withHooks(f))
	owner, _ := e.seedOrg("Acme")
	w := e.seedWidget(owner.OrgID)
	vs := e.startVisitor(w)
	var p VisitorPayload
	raw := wantOne(t, f, EventVisitorCreated, owner.OrgID, &p)
	if p.ID != vs.Visitor.ID || p.WidgetID != w.ID || p.Name == nil || *p.Name != canaryName ||
		p.Email == nil || *p.Email != canaryEmail || p.CreatedAt.IsZero() || p.ErasedAt != nil {
		t.Errorf("visitor.created data %s", raw)
	}
	if strings.Contains(raw, canaryPhone) || strings.Contains(raw, "phone") {
		t.Errorf("visitor.created carries the phone: %s", raw)
	}
	// Resuming the same visitor is no new visitor.
	e.do("POST", "/rest/v1/visitor/sessions", map[string]any{"publishable_key": w.PublishableKey},
		bearer(vs.Token)).expect(t, 201, "")
	if n := len(f.of(EventVisitorCreated)); n != 1 {
		t.Errorf("a resumed visitor emitted visitor.created again (%d emits)", n)
	}
}

func TestEmitVisitorErasedWithoutPII(t *testing.T) {
	t.Parallel()
	f := &fakeHooks{}
	e := newEnv(t, withHooks(f))
	owner, tok := e.seedOrg("Acme")
	w := e.seedWidget(owner.OrgID)
	v := e.seedVisitorPII(w, canaryName, canaryEmail, canaryPhone)
	e.do("DELETE", "/rest/v1/visitors/"+v.ID, nil, bearer(tok)).expect(t, 204, "")
	var p VisitorPayload
	raw := wantOne(t, f, EventVisitorErased, owner.OrgID, &p)
	if p.ID != v.ID || p.Name != nil || p.Email != nil || p.ErasedAt == nil {
		t.Errorf("visitor.erased data %s", raw)
	}
	for _, pii := range []string{canaryName, canaryEmail, canaryPhone} {
		if strings.Contains(raw, pii) {
			t.Errorf("visitor.erased carries PII %q: %s", pii, raw)
		}
	}
	f.mu.Lock()
	calls, forgotten := append([]string(nil), f.calls...), append([]string(nil), f.forgotten...)
	f.mu.Unlock()
	if len(calls) < 2 || calls[0] != "forget" || forgotten[0] != owner.OrgID+"/"+v.ID {
		t.Errorf("calls %v (forgotten %v): want ForgetVisitor of %s before any emit", calls, forgotten, v.ID)
	}
	// A repeat erases nothing and emits nothing.
	e.do("DELETE", "/rest/v1/visitors/"+v.ID, nil, bearer(tok)).expect(t, 204, "")
	if n := len(f.of(EventVisitorErased)); n != 1 {
		t.Errorf("a repeated erasure emitted again (%d emits)", n)
	}
}

func TestEmitAgentInvitedWithoutEmail(t *testing.T) {
	t.Parallel()
	f := &fakeHooks{}
	e, m := newMailEnv(t, withHooks(f))
	owner, tok := e.seedOrg("Acme")
	inv, _ := e.invite(m, tok, "nina.invitee@example.com", storage.RoleAdmin)
	var p InvitationPayload
	raw := wantOne(t, f, EventAgentInvited, owner.OrgID, &p)
	if p.ID != inv.ID || p.Role != storage.RoleAdmin || p.InvitedBy != owner.ID || !p.ExpiresAt.Equal(inv.ExpiresAt) {
		t.Errorf("agent.invited data %s, invitation %+v", raw, inv)
	}
	if strings.Contains(raw, "nina") || strings.Contains(raw, "@") {
		t.Errorf("agent.invited carries the address: %s", raw)
	}
}

func TestEmitAgentDeactivatedOnce(t *testing.T) {
	t.Parallel()
	f := &fakeHooks{}
	e := newEnv(t, withHooks(f))
	owner, tok := e.seedOrg("Acme")
	member, _ := e.seedAgent(owner.OrgID, storage.RoleAgent)
	for range 2 {
		e.do("POST", "/rest/v1/agents/"+member.ID+"/deactivate", nil, bearer(tok)).expect(t, 200, "")
	}
	var p AgentPayload
	raw := wantOne(t, f, EventAgentDeactivated, owner.OrgID, &p)
	if p.ID != member.ID || p.Name != member.Name || p.Role != storage.RoleAgent || p.DeactivatedAt == nil {
		t.Errorf("agent.deactivated data %s", raw)
	}
	if strings.Contains(raw, member.Email) || strings.Contains(raw, "email") {
		t.Errorf("agent.deactivated carries the email: %s", raw)
	}
}

func TestEmitVisitorUpdatedHelper(t *testing.T) {
	t.Parallel()
	f := &fakeHooks{}
	e := newEnv(t, withHooks(f))
	owner, _ := e.seedOrg("Acme")
	w := e.seedWidget(owner.OrgID)
	v := e.seedVisitorPII(w, canaryName, canaryEmail, canaryPhone)
	e.api.emitVisitorUpdated(context.Background(), v)
	var p VisitorPayload
	wantOne(t, f, EventVisitorUpdated, owner.OrgID, &p)
	if p.Name == nil || *p.Name != canaryName {
		t.Errorf("visitor.updated name %v", p.Name)
	}
	v.DeletedAt = e.clock.Now()
	if got := WebhookVisitor(v); got.Name != nil || got.Email != nil {
		t.Errorf("an erased visitor's payload carries PII: %+v", got)
	}
}

func TestEmitWithoutWebhooksIsANoOp(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, _ := e.seedOrg("Acme")
	e.startVisitor(e.seedWidget(owner.OrgID)) // no panic, no error
}

// failingHooks fails every Emit.
type failingHooks struct{ fakeHooks }

func (f *failingHooks) Emit(context.Context, string, string, any) error {
	return errors.New("store down")
}

// A failed emit never fails the request and logs no payload.
func TestEmitFailureIsLoggedWithoutPII(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withHooks(&failingHooks{}))
	owner, _ := e.seedOrg("Acme")
	e.startVisitor(e.seedWidget(owner.OrgID))
	logs := e.logs.String()
	if !strings.Contains(logs, "webhook emit failed") || !strings.Contains(logs, EventVisitorCreated) {
		t.Fatalf("no warning for the failed emit: %s", logs)
	}
	for _, pii := range []string{canaryName, canaryEmail, canaryPhone, "Zelda"} {
		if strings.Contains(logs, pii) {
			t.Errorf("logs hold %q", pii)
		}
	}
}

// PATCH /visitors/{id} emits visitor.updated with the new fields; a PATCH
// that sets no field emits nothing.
func TestEmitVisitorUpdatedOnPatch(t *testing.T) {
	t.Parallel()
	f := &fakeHooks{}
	e := newEnv(t, withHooks(f))
	owner, tok := e.seedOrg("Acme")
	v := e.seedVisitorPII(e.seedWidget(owner.OrgID), "Old Name", "old@example.org", "")
	e.do("PATCH", "/rest/v1/visitors/"+v.ID, map[string]any{"name": canaryName, "email": canaryEmail},
		bearer(tok)).expect(t, 200, "")
	var p VisitorPayload
	raw := wantOne(t, f, EventVisitorUpdated, owner.OrgID, &p)
	if p.ID != v.ID || p.Name == nil || *p.Name != canaryName || p.Email == nil || *p.Email != canaryEmail {
		t.Errorf("visitor.updated data %s", raw)
	}
	e.do("PATCH", "/rest/v1/visitors/"+v.ID, map[string]any{}, bearer(tok)).expect(t, 200, "")
	if n := len(f.of(EventVisitorUpdated)); n != 1 {
		t.Errorf("an empty PATCH emitted visitor.updated (%d emits)", n)
	}
}

// A chat token's first use creates the customer user's visitor: one
// visitor.created; later uses (other devices) emit nothing.
func TestEmitVisitorCreatedForChatTokenVisitor(t *testing.T) {
	t.Parallel()
	f := &fakeHooks{}
	e := newEnv(t, withChatTokens(t), withHooks(f))
	o := e.tokenOrg("Acme")
	out := e.issueToken(o, "user-42", map[string]any{"user": map[string]any{"id": "user-42", "name": "Ada"}})
	var s visitorSessionResponse
	e.tokenSession(o.widget.PublishableKey, out.Token).expect(t, 201, "").json(t, &s)
	var p VisitorPayload
	wantOne(t, f, EventVisitorCreated, o.owner.OrgID, &p)
	if p.ID != s.Visitor.ID || p.Name == nil || *p.Name != "Ada" {
		t.Errorf("visitor.created %+v, want visitor %s named Ada", p, s.Visitor.ID)
	}
	e.tokenSession(o.widget.PublishableKey, e.issueToken(o, "user-42", nil).Token).expect(t, 201, "")
	if n := len(f.of(EventVisitorCreated)); n != 1 {
		t.Errorf("a second use emitted visitor.created again (%d emits)", n)
	}
}
