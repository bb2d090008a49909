package api

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
)

type exportJSON struct {
	Visitor       visitorJSON `json:"visitor"`
	Conversations []struct {
		ID        string `json:"id"`
		VisitorID string `json:"visitor_id"`
	} `json:"conversations"`
	Messages []struct {
		ConversationID string `json:"conversation_id"`
		Seq            int64  `json:"seq"`
		Text           string `json:"text"`
	} `json:"messages"`
	Sessions []struct {
		ID         string     `json:"id"`
		CreatedAt  time.Time  `json:"created_at"`
		LastSeenAt time.Time  `json:"last_seen_at"`
		RevokedAt  *time.Time `json:"revoked_at"`
		IP         string     `json:"ip"`
		UserAgent  string     `json:"user_agent"`
	} `json:"sessions"`
	AuditEvents []struct {
		Action   string `json:"action"`
		ActorID  string `json:"actor_id"`
		TargetID string `json:"target_id"`
	} `json:"audit_events"`
}

func TestExportVisitor(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	owner, ownerTok := e.seedOrg("Acme")
	_, agentTok := e.seedAgent(owner.OrgID, storage.RoleAgent)
	w := e.seedWidget(owner.OrgID)
	vs := e.startVisitor(w)
	id := vs.Visitor.ID
	v, err := e.store.GetVisitor(ctx, owner.OrgID, id)
	if err != nil {
		t.Fatal(err)
	}
	c1 := e.seedConversation(v, "", 2)
	c2 := e.seedConversation(v, "", 3)
	other, _ := e.seedVisitor(w)
	e.seedConversation(other, "", 1) // not this visitor's
	e.do("POST", "/rest/v1/auth/logout", nil, bearer(vs.Token)).expect(t, 204, "")
	path := "/rest/v1/visitors/" + id + "/export"

	e.do("GET", path, nil, bearer(agentTok)).expect(t, 403, httpx.CodeForbidden)
	_, otherTok := e.seedOrg("Other")
	e.do("GET", path, nil, bearer(otherTok)).expect(t, 404, httpx.CodeNotFound)

	var out exportJSON
	e.do("GET", path, nil, bearer(ownerTok)).expect(t, 200, "").json(t, &out)
	if out.Visitor.ID != id || out.Visitor.Name != canaryName || out.Visitor.Email != canaryEmail ||
		out.Visitor.Phone != canaryPhone || out.Visitor.Deleted {
		t.Fatalf("visitor %+v", out.Visitor)
	}
	if len(out.Conversations) != 2 || out.Conversations[0].ID != c2.ID || out.Conversations[1].ID != c1.ID {
		t.Fatalf("conversations %+v", out.Conversations)
	}
	want := map[string]int64{c1.ID: 2, c2.ID: 3}
	got := map[string]int64{}
	for _, m := range out.Messages {
		if m.Seq != got[m.ConversationID]+1 || m.Text == "" {
			t.Fatalf("message out of order or empty: %+v", m)
		}
		got[m.ConversationID] = m.Seq
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("messages per conversation %v, want %v", got, want)
	}
	if len(out.Sessions) != 1 || out.Sessions[0].RevokedAt == nil || out.Sessions[0].IP != "127.0.0.1" ||
		out.Sessions[0].UserAgent == "" || out.Sessions[0].CreatedAt.IsZero() {
		t.Fatalf("sessions %+v", out.Sessions)
	}
	if len(out.AuditEvents) != 1 || out.AuditEvents[0].Action != "auth.logout" || out.AuditEvents[0].ActorID != id {
		t.Fatalf("audit events %+v", out.AuditEvents)
	}
	exported := e.actions(owner.OrgID, "visitor.exported")
	if len(exported) != 1 || exported[0].TargetID != id || exported[0].ActorID != owner.ID {
		t.Fatalf("visitor.exported events %+v", exported)
	}
	// The next export lists the previous one.
	e.do("GET", path, nil, bearer(ownerTok)).expect(t, 200, "").json(t, &out)
	if len(out.AuditEvents) != 2 || out.AuditEvents[0].Action != "visitor.exported" {
		t.Fatalf("second export's audit events %+v", out.AuditEvents)
	}
}

func TestExportErasedVisitor(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	owner, ownerTok := e.seedOrg("Acme")
	vs := e.startVisitor(e.seedWidget(owner.OrgID))
	v, err := e.store.GetVisitor(ctx, owner.OrgID, vs.Visitor.ID)
	if err != nil {
		t.Fatal(err)
	}
	c := e.seedConversation(v, "", 2)
	e.do("DELETE", "/rest/v1/visitors/"+v.ID, nil, bearer(ownerTok)).expect(t, 204, "")

	var out exportJSON
	e.do("GET", "/rest/v1/visitors/"+v.ID+"/export", nil, bearer(ownerTok)).expect(t, 200, "").json(t, &out)
	p := e.store.Pseudonym(v.ID)
	if !out.Visitor.Deleted || out.Visitor.Name != "" || out.Visitor.Email != "" || out.Visitor.Phone != "" {
		t.Fatalf("erased visitor exported as %+v", out.Visitor)
	}
	if len(out.Conversations) != 1 || out.Conversations[0].ID != c.ID || len(out.Messages) != 2 || len(out.Sessions) != 1 {
		t.Fatalf("export of an erased visitor %+v", out)
	}
	if len(out.AuditEvents) != 1 || out.AuditEvents[0].Action != "visitor.erased" || out.AuditEvents[0].TargetID != p {
		t.Fatalf("audit events %+v", out.AuditEvents)
	}
	if exported := e.actions(owner.OrgID, "visitor.exported"); len(exported) != 1 || exported[0].TargetID != p {
		t.Fatalf("export of an erased visitor audited as %+v", exported)
	}
}

// TestExportPagesThroughEverything drives the pagers with tiny pages,
// including conversations that share their last-activity millisecond across
// a page boundary and a whole page of them.
func TestExportPagesThroughEverything(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	owner, _ := e.seedOrg("Acme")
	w := e.seedWidget(owner.OrgID)
	v, _ := e.seedVisitor(w)
	at := e.clock.Now().Truncate(time.Millisecond)
	want := map[string]bool{}
	// Four conversations at one instant, three a second earlier, two more
	// a second before that.
	for _, back := range []time.Duration{0, 0, 0, 0, 1, 1, 1, 2, 2} {
		ts := at.Add(-back * time.Second)
		c := storage.Conversation{ID: storage.NewID("cnv"), OrgID: owner.OrgID, VisitorID: v.ID, WidgetID: w.ID,
			Status: storage.ConversationOpen, CreatedAt: ts, UpdatedAt: ts}
		if err := e.store.CreateConversation(ctx, c); err != nil {
			t.Fatal(err)
		}
		want[c.ID] = true
	}
	for _, size := range []int{1, 2, 3, 4, 5, 200} {
		convs, err := guarded(t, func(ctx context.Context) ([]storage.Conversation, error) {
			return e.api.visitorConversations(ctx, owner.OrgID, v.ID, size)
		})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, c := range convs {
			if seen[c.ID] || !want[c.ID] {
				t.Fatalf("page size %d: duplicate or foreign %s", size, c.ID)
			}
			seen[c.ID] = true
		}
		// A page entirely within one millisecond cannot see past itself
		// (keyset on time): with 4 at one instant, size < 4 may miss some,
		// but never loops and never duplicates; from 4 on, all are found.
		if size >= 4 && len(convs) != 9 {
			t.Fatalf("page size %d: %d of 9 conversations", size, len(convs))
		}
	}
	c := e.seedConversation(v, "", 7)
	for _, size := range []int{1, 3, 7, 500} {
		msgs, err := guarded(t, func(ctx context.Context) ([]storage.Message, error) {
			return e.api.allMessages(ctx, owner.OrgID, c.ID, size)
		})
		if err != nil || len(msgs) != 7 || msgs[0].Seq != 1 || msgs[6].Seq != 7 {
			t.Fatalf("page size %d: %d messages, %v", size, len(msgs), err)
		}
	}
}

// guarded runs a pager with a deadlock guard: one that stops making
// progress fails the test instead of hanging it.
func guarded[T any](t *testing.T, page func(context.Context) ([]T, error)) ([]T, error) {
	t.Helper()
	type result struct {
		list []T
		err  error
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done := make(chan result, 1)
	go func() {
		list, err := page(ctx)
		done <- result{list, err}
	}()
	select {
	case r := <-done:
		return r.list, r.err
	case <-ctx.Done():
		t.Fatal("pager did not finish")
		return nil, nil
	}
}
