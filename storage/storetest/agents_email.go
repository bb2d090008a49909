package storetest

import (
	"fmt"
	"testing"

	"github.com/helpr-chat/helpr/storage"
)

// agentEmailCases hold an agent's email to its organisation: unique within
// it, free in every other (issue 10, item 6: creating an agent must not
// tell one tenant whether an email is registered with another).
var agentEmailCases = []testCase{
	{"AgentEmailUniquePerOrg", testAgentEmailUniquePerOrg},
	{"OwnerEmailOfAnotherOrg", testOwnerEmailOfAnotherOrg},
	{"AgentsByEmailAcrossOrgs", testAgentsByEmailAcrossOrgs},
	{"AgentsByEmailBounded", testAgentsByEmailBounded},
}

func testAgentEmailUniquePerOrg(t *testing.T, s storage.Store) {
	a := newTenant(t, s, "acme")
	b := newTenant(t, s, "beta")
	dup := storage.Agent{ID: "agt_dup", OrgID: a.org.ID, Name: "Dup", Email: "Owner@ACME.example",
		Role: storage.RoleAgent, PasswordHash: "h", CreatedAt: at(10)}
	wantErr(t, s.CreateAgent(ctx(t), dup), storage.ErrConflict, "email taken in the same org, other case")
	_, err := s.GetAgent(ctx(t), a.org.ID, dup.ID)
	wantErr(t, err, storage.ErrNotFound, "agent of a failed create")

	dup.OrgID = b.org.ID
	ok(t, s.CreateAgent(ctx(t), dup), "the same email in another org")
	dup.Email = "owner@acme.example"
	got, err := s.GetAgent(ctx(t), b.org.ID, dup.ID)
	ok(t, err, "get the other org's agent")
	same(t, got, dup, "the other org's agent")

	again := dup
	again.ID = "agt_dup2"
	wantErr(t, s.CreateAgent(ctx(t), again), storage.ErrConflict, "the email twice in the other org")
	list, err := s.ListAgents(ctx(t), b.org.ID)
	ok(t, err, "list the other org")
	same(t, list, []storage.Agent{b.owner, dup}, "the other org's team")
}

func testOwnerEmailOfAnotherOrg(t *testing.T, s storage.Store) {
	a := newTenant(t, s, "acme")
	org := storage.Organization{ID: "org_second", Name: "Second", CreatedAt: at(5)}
	owner := storage.Agent{ID: "agt_second", OrgID: org.ID, Name: "Owner", Email: "OWNER@acme.example",
		Role: storage.RoleOwner, PasswordHash: "h2", CreatedAt: at(5)}
	ok(t, s.CreateOrgWithOwner(ctx(t), org, owner), "register a second org with the first's owner email")
	_, err := s.GetOrg(ctx(t), org.ID)
	ok(t, err, "get the second org")
	got, err := s.GetAgent(ctx(t), a.org.ID, a.owner.ID)
	ok(t, err, "the first owner")
	same(t, got, a.owner, "the first owner is untouched")
}

func testAgentsByEmailAcrossOrgs(t *testing.T, s storage.Store) {
	a := newTenant(t, s, "acme")
	b := newTenant(t, s, "beta")
	c := newTenant(t, s, "gamma")
	inB := storage.Agent{ID: "agt_b_carol", OrgID: b.org.ID, Name: "Carol", Email: "carol@example.com",
		Role: storage.RoleAgent, PasswordHash: "hb", CreatedAt: at(20)}
	inA := storage.Agent{ID: "agt_a_carol", OrgID: a.org.ID, Name: "Carol A", Email: "Carol@Example.com",
		Role: storage.RoleAdmin, PasswordHash: "ha", CreatedAt: at(10)}
	inC := storage.Agent{ID: "agt_c_carol", OrgID: c.org.ID, Name: "Carol C", Email: "carol@example.com",
		Role: storage.RoleAgent, PasswordHash: "hc", CreatedAt: at(30)}
	for _, ag := range []storage.Agent{inB, inA, inC} {
		ok(t, s.CreateAgent(ctx(t), ag), "create "+ag.ID)
	}
	inA.Email = "carol@example.com"
	ok(t, s.EraseSubject(ctx(t), erasure(c.org.ID, storage.SubjectAgent, inC.ID, 40)), "erase carol of gamma")

	list, err := s.ListAgentsByEmail(ctx(t), "CAROL@example.com")
	ok(t, err, "list agents by email")
	same(t, list, []storage.Agent{inA, inB}, "carol's agents, oldest first, the erased one left out")
}

func testAgentsByEmailBounded(t *testing.T, s storage.Store) {
	n := storage.MaxAgentsByEmail + 2
	for i := range n {
		org := storage.Organization{ID: fmt.Sprintf("org_%02d", i), Name: "Org", CreatedAt: at(i)}
		owner := storage.Agent{ID: fmt.Sprintf("agt_%02d", i), OrgID: org.ID, Name: "Same",
			Email: "same@example.com", Role: storage.RoleOwner, PasswordHash: "h", CreatedAt: at(i)}
		ok(t, s.CreateOrgWithOwner(ctx(t), org, owner), "create org "+org.ID)
	}
	list, err := s.ListAgentsByEmail(ctx(t), "same@example.com")
	ok(t, err, "list agents by email")
	if len(list) != storage.MaxAgentsByEmail {
		t.Fatalf("got %d agents, want the bound %d", len(list), storage.MaxAgentsByEmail)
	}
	if list[0].ID != "agt_00" || list[len(list)-1].ID != fmt.Sprintf("agt_%02d", storage.MaxAgentsByEmail-1) {
		t.Errorf("got %s … %s, want the oldest", list[0].ID, list[len(list)-1].ID)
	}
}
