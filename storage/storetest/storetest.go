// Package storetest is the conformance suite every storage.Store backend
// runs, in the manner of testing/slogtest: a backend's own test calls
//
//	storetest.Run(t, func(t *testing.T) storage.Store { return openFresh(t) })
//
// and each subtest exercises one promise of the storage interfaces on a
// fresh, empty store. The suite uses nothing but the storage package, so it
// holds every backend to the same contract.
package storetest

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

// Run runs the conformance suite. newStore must return a new, empty store
// each time it is called; it is called once per subtest, possibly from
// parallel subtests, so it must be safe for concurrent use. Run closes each
// store when its subtest ends (newStore may add its own cleanup, such as
// removing files, with t.Cleanup).
func Run(t *testing.T, newStore func(t *testing.T) storage.Store) {
	t.Helper()
	for _, tc := range cases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("close store: %v", err)
				}
			})
			tc.fn(t, s)
		})
	}
}

type testCase struct {
	name string
	fn   func(t *testing.T, s storage.Store)
}

func cases() []testCase {
	var all []testCase
	for _, group := range [][]testCase{
		orgCases, agentEmailCases, visitorCases, conversationCases, messageCases, sessionCases, tenancyCases, auditCases,
		erasureCases, widgetCases, previewCases, readCases, searchCases, metaCases, oneTimeCases, auditChainCases,
		passkeyCases, mfaCases, mailCases, signInIPCases, cursorCases, webhookCases, apiKeyCases, customerUserCases,
		appendCheckedCases,
	} {
		all = append(all, group...)
	}
	return all
}

// base is the suite's clock origin; every time is base plus whole
// milliseconds, in UTC, so stored and loaded times compare equal.
var base = time.UnixMilli(1_767_225_600_000).UTC() // 2026-01-01T00:00:00Z

// at returns base plus n seconds.
func at(n int) time.Time { return base.Add(time.Duration(n) * time.Second) }

// hash returns a 32-byte token hash derived from name.
func hash(name string) []byte {
	h := sha256.Sum256([]byte(name))
	return h[:]
}

// emailIndex returns a 32-byte stand-in for the blind index of name's email.
func emailIndex(name string) []byte { return hash("email-index/" + name) }

// ok fails the test at once if err is not nil.
func ok(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: unexpected error: %v", what, err)
	}
}

// wantErr fails the test if err does not wrap target.
func wantErr(t *testing.T, err, target error, what string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: got error %v, want %v", what, err, target)
	}
}

// same fails the test if got and want differ (compared with %#v, which
// shows every field including times and byte slices).
func same[T any](t *testing.T, got, want T, what string) {
	t.Helper()
	if g, w := fmt.Sprintf("%#v", got), fmt.Sprintf("%#v", want); g != w {
		t.Errorf("%s:\n got %s\nwant %s", what, g, w)
	}
}

// sameList fails the test if got and want differ; nil and empty are equal.
func sameList[E comparable](t *testing.T, got, want []E, what string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s:\n got %v\nwant %v", what, got, want)
	}
}

// tenant is one organisation with an owner, a widget and a visitor.
type tenant struct {
	org     storage.Organization
	owner   storage.Agent
	widget  storage.Widget
	visitor storage.Visitor
}

// newTenant stores a tenant whose ids, email and key derive from name.
func newTenant(t *testing.T, s storage.Store, name string) tenant {
	t.Helper()
	ctx := t.Context()
	tn := tenant{
		org: storage.Organization{ID: "org_" + name, Name: "Org " + name, CreatedAt: at(0)},
		owner: storage.Agent{ID: "agt_" + name + "_owner", OrgID: "org_" + name, Name: "Owner " + name,
			Email: "owner@" + name + ".example", Role: storage.RoleOwner, PasswordHash: "hash-" + name, CreatedAt: at(0)},
		widget: storage.Widget{ID: "wdg_" + name, OrgID: "org_" + name, Name: "Site " + name,
			PublishableKey: "pk_" + name, AllowedOrigins: []string{"https://" + name + ".example"}, CreatedAt: at(1)},
		visitor: storage.Visitor{ID: "vis_" + name, OrgID: "org_" + name, WidgetID: "wdg_" + name,
			Name: "enc-name", Email: "enc-email", Phone: "enc-phone", EmailIndex: emailIndex(name),
			CreatedAt: at(2), LastSeenAt: at(2)},
	}
	ok(t, s.CreateOrgWithOwner(ctx, tn.org, tn.owner), "create org "+name)
	ok(t, s.CreateWidget(ctx, tn.widget), "create widget "+name)
	ok(t, s.CreateVisitor(ctx, tn.visitor), "create visitor "+name)
	return tn
}

// conversation stores an open, unassigned conversation of the tenant's
// visitor, created and updated at sec.
func (tn tenant) conversation(t *testing.T, s storage.Store, id string, sec int) storage.Conversation {
	t.Helper()
	c := storage.Conversation{ID: id, OrgID: tn.org.ID, VisitorID: tn.visitor.ID, WidgetID: tn.widget.ID,
		Status: storage.ConversationOpen, CreatedAt: at(sec), UpdatedAt: at(sec)}
	ok(t, s.CreateConversation(t.Context(), c), "create conversation "+id)
	return c
}

// message returns a visitor message for conversation c.
func message(c storage.Conversation, clientID, text string, sec int) storage.Message {
	return storage.Message{ID: "msg_" + c.ID + "_" + clientID, OrgID: c.OrgID, ConversationID: c.ID,
		ClientID: clientID, SenderKind: storage.SenderVisitor, SenderID: c.VisitorID, Text: text, CreatedAt: at(sec)}
}

// appendText appends a message and fails the test on error.
func appendText(t *testing.T, s storage.Store, c storage.Conversation, clientID, text string, sec int) storage.Message {
	t.Helper()
	m, created, err := s.AppendMessage(t.Context(), message(c, clientID, text, sec))
	ok(t, err, "append "+clientID)
	if !created {
		t.Fatalf("append %s: created = false for a new client id", clientID)
	}
	return m
}

// ids returns the IDs of records, for order comparisons.
func ids[T any](list []T, id func(T) string) []string {
	out := make([]string, len(list))
	for i, v := range list {
		out[i] = id(v)
	}
	return out
}

// ctx is a shorthand for the test's context.
func ctx(t *testing.T) context.Context { return t.Context() }
