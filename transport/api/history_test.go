package api

import (
	"context"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
)

// seedConversation stores a conversation of visitor v with n messages, its
// last activity at the env clock (which then advances a second).
func (e *env) seedConversation(v storage.Visitor, assignee string, n int) storage.Conversation {
	e.t.Helper()
	ctx := context.Background()
	now := e.clock.Now().Truncate(time.Millisecond)
	c := storage.Conversation{ID: storage.NewID("cnv"), OrgID: v.OrgID, VisitorID: v.ID, WidgetID: v.WidgetID,
		Status: storage.ConversationOpen, CreatedAt: now, UpdatedAt: now}
	if err := e.store.CreateConversation(ctx, c); err != nil {
		e.t.Fatalf("seed conversation: %v", err)
	}
	for i := range n {
		m := storage.Message{ID: storage.NewID("msg"), OrgID: v.OrgID, ConversationID: c.ID,
			ClientID: fmt.Sprintf("c%d", i), SenderKind: storage.SenderVisitor, SenderID: v.ID,
			Text: fmt.Sprintf("hello number %d from %s", i, c.ID), CreatedAt: now}
		if _, _, err := e.store.AppendMessage(ctx, m); err != nil {
			e.t.Fatalf("seed message: %v", err)
		}
	}
	if assignee != "" {
		if err := e.store.SetAssignee(ctx, v.OrgID, c.ID, "", assignee, now); err != nil {
			e.t.Fatalf("assign: %v", err)
		}
	}
	e.clock.Advance(time.Second)
	got, err := e.store.GetConversation(ctx, v.OrgID, c.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return got
}

type convList struct {
	Conversations []struct {
		ID         string  `json:"id"`
		Status     string  `json:"status"`
		AssigneeID *string `json:"assignee_id"`
		VisitorID  string  `json:"visitor_id"`
		LastSeq    int64   `json:"last_seq"`
	} `json:"conversations"`
	NextBefore *string `json:"next_before"`
}

func (l convList) ids() []string {
	var out []string
	for _, c := range l.Conversations {
		out = append(out, c.ID)
	}
	return out
}

type historyFixture struct {
	e                  *env
	owner              storage.Agent
	ownerTok, agentTok string
	agent              storage.Agent
	v1, v2             storage.Visitor
	v1Tok              string
	c1, c2, c3         storage.Conversation // c1, c2 of v1 (c2 assigned); c3 of v2, closed
	otherConv          storage.Conversation
	otherTok           string
}

func newHistory(t *testing.T) *historyFixture {
	e := newEnv(t)
	f := &historyFixture{e: e}
	f.owner, f.ownerTok = e.seedOrg("Acme")
	f.agent, f.agentTok = e.seedAgent(f.owner.OrgID, storage.RoleAgent)
	w := e.seedWidget(f.owner.OrgID)
	f.v1, f.v1Tok = e.seedVisitor(w)
	f.v2, _ = e.seedVisitor(w)
	f.c1 = e.seedConversation(f.v1, "", 3)
	f.c2 = e.seedConversation(f.v1, f.agent.ID, 1)
	f.c3 = e.seedConversation(f.v2, "", 0)
	if err := e.store.CloseConversation(context.Background(), f.owner.OrgID, f.c3.ID, e.clock.Now().Truncate(time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	other, otherTok := e.seedOrg("Other")
	ow := e.seedWidget(other.OrgID)
	ov, _ := e.seedVisitor(ow)
	f.otherConv = e.seedConversation(ov, "", 2)
	f.otherTok = otherTok
	return f
}

func (f *historyFixture) list(t *testing.T, tok, query string) convList {
	t.Helper()
	var l convList
	f.e.with(t).do("GET", "/rest/v1/conversations"+query, nil, bearer(tok)).expect(t, 200, "").json(t, &l)
	return l
}

func TestListConversations(t *testing.T) {
	t.Parallel()
	f := newHistory(t)
	check := func(name string, got []string, want ...string) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: got %v, want %v", name, got, want)
		}
	}
	check("all", f.list(t, f.agentTok, "").ids(), f.c3.ID, f.c2.ID, f.c1.ID)
	check("open", f.list(t, f.agentTok, "?status=open").ids(), f.c2.ID, f.c1.ID)
	check("closed", f.list(t, f.agentTok, "?status=closed").ids(), f.c3.ID)
	check("assignee", f.list(t, f.agentTok, "?assignee="+f.agent.ID).ids(), f.c2.ID)
	check("unassigned", f.list(t, f.agentTok, "?assignee=none&status=open").ids(), f.c1.ID)
	check("visitor sees own", f.list(t, f.v1Tok, "").ids(), f.c2.ID, f.c1.ID)
	check("other tenant", f.list(t, f.otherTok, "").ids(), f.otherConv.ID)

	page := f.list(t, f.agentTok, "?limit=2")
	check("page 1", page.ids(), f.c3.ID, f.c2.ID)
	if page.NextBefore == nil {
		t.Fatal("no next_before on a full page")
	}
	page2 := f.list(t, f.agentTok, "?limit=2&before="+url.QueryEscape(*page.NextBefore))
	check("page 2", page2.ids(), f.c1.ID)
	if page2.NextBefore != nil {
		t.Fatalf("next_before on the last page: %v", *page2.NextBefore)
	}
	if all := f.list(t, f.agentTok, ""); all.NextBefore != nil || all.Conversations[1].AssigneeID == nil ||
		*all.Conversations[1].AssigneeID != f.agent.ID || all.Conversations[2].AssigneeID != nil ||
		all.Conversations[2].LastSeq != 3 {
		t.Fatalf("list fields %+v", all)
	}
}

func TestListConversationsValidation(t *testing.T) {
	t.Parallel()
	f := newHistory(t)
	for _, q := range []string{"?status=pending", "?limit=0", "?limit=201", "?limit=x", "?before=yesterday",
		"?assignee=Bad!", "?status=open&status=closed", "?limit=1e3", "?limit=-1"} {
		f.e.do("GET", "/rest/v1/conversations"+q, nil, bearer(f.agentTok)).expect(t, 400, httpx.CodeValidationFailed)
	}
	f.e.do("GET", "/rest/v1/conversations", nil).expect(t, 401, httpx.CodeUnauthorized)
}

func TestGetConversation(t *testing.T) {
	t.Parallel()
	f := newHistory(t)
	var c struct {
		ID, Status string
		VisitorID  string `json:"visitor_id"`
	}
	f.e.do("GET", "/rest/v1/conversations/"+f.c1.ID, nil, bearer(f.agentTok)).expect(t, 200, "").json(t, &c)
	if c.ID != f.c1.ID || c.VisitorID != f.v1.ID || c.Status != "open" {
		t.Fatalf("conversation %+v", c)
	}
	f.e.do("GET", "/rest/v1/conversations/"+f.c1.ID, nil, bearer(f.v1Tok)).expect(t, 200, "")
	// Another visitor's conversation, another tenant's and a missing one all look the same.
	f.e.do("GET", "/rest/v1/conversations/"+f.c3.ID, nil, bearer(f.v1Tok)).expect(t, 404, httpx.CodeNotFound)
	f.e.do("GET", "/rest/v1/conversations/"+f.otherConv.ID, nil, bearer(f.agentTok)).expect(t, 404, httpx.CodeNotFound)
	f.e.do("GET", "/rest/v1/conversations/"+f.c1.ID, nil, bearer(f.otherTok)).expect(t, 404, httpx.CodeNotFound)
	f.e.do("GET", "/rest/v1/conversations/cnv_missing", nil, bearer(f.agentTok)).expect(t, 404, httpx.CodeNotFound)
}

type msgList struct {
	Messages []struct {
		ID         string `json:"id"`
		Seq        int64  `json:"seq"`
		Text       string `json:"text"`
		SenderKind string `json:"sender_kind"`
	} `json:"messages"`
	NextAfterSeq *int64 `json:"next_after_seq"`
}

func TestListMessages(t *testing.T) {
	t.Parallel()
	f := newHistory(t)
	path := "/rest/v1/conversations/" + f.c1.ID + "/messages"
	var all msgList
	f.e.do("GET", path, nil, bearer(f.agentTok)).expect(t, 200, "").json(t, &all)
	if len(all.Messages) != 3 || all.Messages[0].Seq != 1 || all.Messages[2].Seq != 3 || all.NextAfterSeq != nil ||
		all.Messages[0].SenderKind != "visitor" {
		t.Fatalf("messages %+v", all)
	}
	var page msgList
	f.e.do("GET", path+"?limit=2", nil, bearer(f.v1Tok)).expect(t, 200, "").json(t, &page)
	if len(page.Messages) != 2 || page.NextAfterSeq == nil || *page.NextAfterSeq != 2 {
		t.Fatalf("page %+v", page)
	}
	f.e.do("GET", path+"?after_seq=2", nil, bearer(f.v1Tok)).expect(t, 200, "").json(t, &page)
	if len(page.Messages) != 1 || page.Messages[0].Seq != 3 {
		t.Fatalf("after_seq page %+v", page)
	}
	for _, q := range []string{"?after_seq=-1", "?after_seq=x", "?limit=501", "?limit=0"} {
		f.e.do("GET", path+q, nil, bearer(f.agentTok)).expect(t, 400, httpx.CodeValidationFailed)
	}
	f.e.do("GET", "/rest/v1/conversations/"+f.c3.ID+"/messages", nil, bearer(f.v1Tok)).expect(t, 404, httpx.CodeNotFound)
	f.e.do("GET", "/rest/v1/conversations/"+f.otherConv.ID+"/messages", nil, bearer(f.ownerTok)).expect(t, 404, httpx.CodeNotFound)
}

func TestSearchMessages(t *testing.T) {
	t.Parallel()
	f := newHistory(t)
	var res msgList
	f.e.do("GET", "/rest/v1/messages/search?q="+url.QueryEscape("number 1"), nil, bearer(f.agentTok)).
		expect(t, 200, "").json(t, &res)
	if len(res.Messages) == 0 {
		t.Fatal("no search results")
	}
	for _, m := range res.Messages {
		if m.ID == "" {
			t.Fatalf("result %+v", m)
		}
	}
	// Words only the other tenant's messages hold find them there, never here.
	q := "/rest/v1/messages/search?q=" + url.QueryEscape(f.otherConv.ID)
	f.e.do("GET", q, nil, bearer(f.otherTok)).expect(t, 200, "").json(t, &res)
	if len(res.Messages) != 2 {
		t.Fatalf("owner tenant search %+v", res)
	}
	f.e.do("GET", q, nil, bearer(f.agentTok)).expect(t, 200, "").json(t, &res)
	if len(res.Messages) != 0 {
		t.Fatalf("cross-tenant search hit %+v", res)
	}
	f.e.do("GET", "/rest/v1/messages/search?q="+url.QueryEscape(`"unbalanced (OR*`), nil, bearer(f.agentTok)).expect(t, 200, "")
	f.e.do("GET", "/rest/v1/messages/search?q=hello", nil, bearer(f.v1Tok)).expect(t, 403, httpx.CodeForbidden)
	f.e.do("GET", "/rest/v1/messages/search", nil, bearer(f.agentTok)).expect(t, 400, httpx.CodeValidationFailed)
	f.e.do("GET", "/rest/v1/messages/search?q=hello&limit=101", nil, bearer(f.agentTok)).expect(t, 400, httpx.CodeValidationFailed)
}
