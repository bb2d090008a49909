package storetest

import (
	"testing"

	"github.com/helpr-chat/helpr/storage"
)

var orgCases = []testCase{
	{"OrgWithOwner", testOrgWithOwner},
	{"OrgOwnerConflictIsAtomic", testOrgOwnerConflictIsAtomic},
	{"Agents", testAgents},
	{"Widgets", testWidgets},
	{"WidgetKeyConflict", testWidgetKeyConflict},
}

func testOrgWithOwner(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "acme")
	org, err := s.GetOrg(ctx(t), tn.org.ID)
	ok(t, err, "get org")
	same(t, org, tn.org, "org")
	owner, err := s.GetAgent(ctx(t), tn.org.ID, tn.owner.ID)
	ok(t, err, "get owner")
	same(t, owner, tn.owner, "owner")
	_, err = s.GetOrg(ctx(t), "org_missing")
	wantErr(t, err, storage.ErrNotFound, "get unknown org")
}

func testOrgOwnerConflictIsAtomic(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "acme")
	org := storage.Organization{ID: "org_other", Name: "Other", CreatedAt: at(5)}
	owner := storage.Agent{ID: tn.owner.ID, OrgID: org.ID, Name: "Other", Email: "owner@other.example",
		Role: storage.RoleOwner, PasswordHash: "h", CreatedAt: at(5)}
	wantErr(t, s.CreateOrgWithOwner(ctx(t), org, owner), storage.ErrConflict, "owner id taken")
	_, err := s.GetOrg(ctx(t), org.ID)
	wantErr(t, err, storage.ErrNotFound, "org of a failed CreateOrgWithOwner")
	_, err = s.GetAgent(ctx(t), org.ID, owner.ID)
	wantErr(t, err, storage.ErrNotFound, "owner of a failed CreateOrgWithOwner")
	got, err := s.GetAgent(ctx(t), tn.org.ID, tn.owner.ID)
	ok(t, err, "get the owner whose id was reused")
	same(t, got, tn.owner, "the owner whose id was reused")
	owner.ID = "agt_other"
	ok(t, s.CreateOrgWithOwner(ctx(t), org, owner), "retry with a free id")
}

func testAgents(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "acme")
	bob := storage.Agent{ID: "agt_bob", OrgID: tn.org.ID, Name: "Bob", Email: "Bob@Acme.Example",
		Role: storage.RoleAgent, PasswordHash: "hash-bob", CreatedAt: at(10)}
	ok(t, s.CreateAgent(ctx(t), bob), "create agent")
	bob.Email = "bob@acme.example" // stored lower-cased

	got, err := s.GetAgent(ctx(t), tn.org.ID, bob.ID)
	ok(t, err, "get agent")
	same(t, got, bob, "agent")
	byEmail, err := s.ListAgentsByEmail(ctx(t), "BOB@acme.EXAMPLE")
	ok(t, err, "list agents by email, other case")
	same(t, byEmail, []storage.Agent{bob}, "agents by email")
	byEmail, err = s.ListAgentsByEmail(ctx(t), "nobody@acme.example")
	ok(t, err, "list agents by unknown email")
	if len(byEmail) != 0 {
		t.Errorf("unknown email: got %v, want none", byEmail)
	}
	_, err = s.GetAgent(ctx(t), tn.org.ID, "agt_missing")
	wantErr(t, err, storage.ErrNotFound, "unknown agent")

	list, err := s.ListAgents(ctx(t), tn.org.ID)
	ok(t, err, "list agents")
	same(t, list, []storage.Agent{tn.owner, bob}, "agents in creation order")

	ok(t, s.SetAgentRole(ctx(t), tn.org.ID, bob.ID, storage.RoleAdmin), "set role")
	ok(t, s.SetAgentPasswordHash(ctx(t), tn.org.ID, bob.ID, "hash-new"), "set password hash")
	bob.Role, bob.PasswordHash = storage.RoleAdmin, "hash-new"
	got, err = s.GetAgent(ctx(t), tn.org.ID, bob.ID)
	ok(t, err, "get updated agent")
	same(t, got, bob, "updated agent")
	wantErr(t, s.SetAgentRole(ctx(t), tn.org.ID, "agt_missing", storage.RoleAdmin), storage.ErrNotFound, "role of unknown agent")
	wantErr(t, s.SetAgentPasswordHash(ctx(t), tn.org.ID, "agt_missing", "x"), storage.ErrNotFound, "hash of unknown agent")
}

func testWidgets(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "acme")
	second := storage.Widget{ID: "wdg_second", OrgID: tn.org.ID, Name: "Docs", PublishableKey: "pk_second",
		AllowedOrigins: []string{"https://docs.acme.example", "https://acme.example:8443"}, CreatedAt: at(20)}
	ok(t, s.CreateWidget(ctx(t), second), "create widget")
	got, err := s.GetWidget(ctx(t), tn.org.ID, second.ID)
	ok(t, err, "get widget")
	same(t, got, second, "widget")
	got, err = s.GetWidgetByKey(ctx(t), "pk_second")
	ok(t, err, "get widget by key")
	same(t, got, second, "widget by key")
	_, err = s.GetWidgetByKey(ctx(t), "pk_missing")
	wantErr(t, err, storage.ErrNotFound, "unknown key")
	_, err = s.GetWidget(ctx(t), tn.org.ID, "wdg_missing")
	wantErr(t, err, storage.ErrNotFound, "unknown widget")

	list, err := s.ListWidgets(ctx(t), tn.org.ID)
	ok(t, err, "list widgets")
	same(t, list, []storage.Widget{tn.widget, second}, "widgets in creation order")

	bare := storage.Widget{ID: "wdg_bare", OrgID: tn.org.ID, Name: "Bare", PublishableKey: "pk_bare", CreatedAt: at(30)}
	ok(t, s.CreateWidget(ctx(t), bare), "create widget without origins")
	got, err = s.GetWidget(ctx(t), tn.org.ID, bare.ID)
	ok(t, err, "get widget without origins")
	if len(got.AllowedOrigins) != 0 || got.PublishableKey != "pk_bare" {
		t.Errorf("widget without origins: got %#v", got)
	}
}

func testWidgetKeyConflict(t *testing.T, s storage.Store) {
	newTenant(t, s, "acme")
	b := newTenant(t, s, "beta")
	dup := storage.Widget{ID: "wdg_dup", OrgID: b.org.ID, Name: "Dup", PublishableKey: "pk_acme", CreatedAt: at(10)}
	wantErr(t, s.CreateWidget(ctx(t), dup), storage.ErrConflict, "publishable key taken by another org")
	_, err := s.GetWidget(ctx(t), b.org.ID, dup.ID)
	wantErr(t, err, storage.ErrNotFound, "widget of a failed create")
}
