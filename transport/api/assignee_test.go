package api

import (
	"strings"
	"testing"

	"github.com/helpr-chat/helpr/transport/httpx"
)

// A visitor learns its conversation's agent id and name (never email or
// role); another visitor's conversation and an unassigned one are not_found.
func TestAssignee(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, ownerTok := e.seedOrg("Acme")
	w := e.seedWidget(owner.OrgID, "https://shop.example.com")
	v, vTok := e.seedVisitor(w)
	_, otherTok := e.seedVisitor(w)
	assigned := e.seedConversation(v, owner.ID, 0)
	unassigned := e.seedConversation(v, "", 0)

	r := e.do("GET", "/rest/v1/conversations/"+assigned.ID+"/assignee", nil, cookie(VisitorCookie, vTok)).expect(t, 200, "")
	var got map[string]string
	r.json(t, &got)
	if got["id"] != owner.ID || got["name"] != owner.Name || len(got) != 2 {
		t.Fatalf("assignee %v", got)
	}
	if strings.Contains(string(r.body), owner.Email) {
		t.Fatal("the assignee view leaks the agent's email")
	}
	e.do("GET", "/rest/v1/conversations/"+assigned.ID+"/assignee", nil, bearer(ownerTok)).expect(t, 200, "")
	e.do("GET", "/rest/v1/conversations/"+assigned.ID+"/assignee", nil, bearer(otherTok)).expect(t, 404, httpx.CodeNotFound)
	e.do("GET", "/rest/v1/conversations/"+unassigned.ID+"/assignee", nil, bearer(vTok)).expect(t, 404, httpx.CodeNotFound)
	e.do("GET", "/rest/v1/conversations/"+assigned.ID+"/assignee", nil).expect(t, 401, httpx.CodeUnauthorized)
}

// A visitor may name any agent of its conversation's organisation (the
// author of an agent message), never another organisation's agent, and only
// through its own conversation.
func TestConversationAgentName(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, _ := e.seedOrg("Acme")
	stranger, _ := e.seedOrg("Other")
	w := e.seedWidget(owner.OrgID, "https://shop.example.com")
	v, vTok := e.seedVisitor(w)
	_, otherTok := e.seedVisitor(w)
	conv := e.seedConversation(v, "", 0)
	path := "/rest/v1/conversations/" + conv.ID + "/agents/"

	r := e.do("GET", path+owner.ID, nil, bearer(vTok)).expect(t, 200, "")
	var got map[string]string
	r.json(t, &got)
	if got["id"] != owner.ID || got["name"] != owner.Name || len(got) != 2 {
		t.Fatalf("agent %v", got)
	}
	e.do("GET", path+stranger.ID, nil, bearer(vTok)).expect(t, 404, httpx.CodeNotFound)
	e.do("GET", path+owner.ID, nil, bearer(otherTok)).expect(t, 404, httpx.CodeNotFound)
	e.do("GET", path+"NOT-AN-ID", nil, bearer(vTok)).expect(t, 404, httpx.CodeNotFound)
	e.do("GET", path+owner.ID, nil).expect(t, 401, httpx.CodeUnauthorized)
}
