package api

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/helpr-chat/helpr/hub"
	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
)

// jsonCodec encodes hub events as JSON (the product uses transport/ws's
// codec; the API's tests only need the hub to store and route).
type jsonCodec struct{}

func (jsonCodec) Encode(e hub.Event) ([]byte, error) { return json.Marshal(e) }

// withHub gives the API a real hub over its sealed store as Config.Chat.
func withHub(c *Config) {
	c.Chat = hub.New(c.Store.(*security.SealedStore), jsonCodec{}, hub.Options{Now: c.Now})
}

type chatFixture struct {
	e                  *env
	owner, agent       storage.Agent
	ownerTok, agentTok string
	visitorTok         string
	conv               storage.Conversation
	otherTok           string // an owner of another organisation
	otherAgent         storage.Agent
}

func newChatFixture(t *testing.T) *chatFixture {
	e := newEnv(t, withHub)
	f := &chatFixture{e: e}
	f.owner, f.ownerTok = e.seedOrg("Acme")
	f.agent, f.agentTok = e.seedAgent(f.owner.OrgID, storage.RoleAgent)
	v, vt := e.seedVisitor(e.seedWidget(f.owner.OrgID))
	f.visitorTok = vt
	f.conv = e.seedConversation(v, "", 0)
	var other storage.Agent
	other, f.otherTok = e.seedOrg("Other")
	f.otherAgent, _ = e.seedAgent(other.OrgID, storage.RoleAgent)
	return f
}

type messageOut struct {
	Message struct {
		ID             string `json:"id"`
		ConversationID string `json:"conversation_id"`
		Seq            int64  `json:"seq"`
		ClientID       string `json:"client_id"`
		SenderKind     string `json:"sender_kind"`
		SenderID       string `json:"sender_id"`
		Text           string `json:"text"`
	} `json:"message"`
}

type conversationOut struct {
	Conversation struct {
		ID         string  `json:"id"`
		Status     string  `json:"status"`
		AssigneeID *string `json:"assignee_id"`
		LastSeq    int64   `json:"last_seq"`
	} `json:"conversation"`
}

func (f *chatFixture) messages(t *testing.T) []storage.Message {
	t.Helper()
	list, err := f.e.store.ListMessages(context.Background(), f.owner.OrgID, f.conv.ID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// POST /conversations/{id}/messages sends as the caller agent: 201, then
// 200 with the stored message on a repeated client_id; without client_id
// the API picks one per request.
func TestSendMessage(t *testing.T) {
	t.Parallel()
	f := newChatFixture(t)
	path := "/rest/v1/conversations/" + f.conv.ID + "/messages"
	var first, again, auto messageOut
	f.e.do("POST", path, map[string]any{"text": "hello from the backend", "client_id": "ord-1"}, bearer(f.agentTok)).
		expect(t, 201, "").json(t, &first)
	m := first.Message
	if m.Seq != 1 || m.ClientID != "ord-1" || m.SenderKind != "agent" || m.SenderID != f.agent.ID ||
		m.Text != "hello from the backend" || m.ConversationID != f.conv.ID || m.ID == "" {
		t.Fatalf("sent %+v", m)
	}
	f.e.do("POST", path, map[string]any{"text": "hello from the backend", "client_id": "ord-1"}, bearer(f.agentTok)).
		expect(t, 200, "").json(t, &again)
	if again.Message != first.Message {
		t.Fatalf("repeat answered %+v, want %+v", again.Message, first.Message)
	}
	f.e.do("POST", path, map[string]any{"text": "second"}, bearer(f.ownerTok)).expect(t, 201, "").json(t, &auto)
	if auto.Message.Seq != 2 || !strings.HasPrefix(auto.Message.ClientID, "api_") || auto.Message.SenderID != f.owner.ID {
		t.Fatalf("without client_id %+v", auto.Message)
	}
	f.e.do("POST", path, map[string]any{"text": "second"}, bearer(f.ownerTok)).expect(t, 201, "")
	// Another sender's client id is a conflict, not their message.
	f.e.do("POST", path, map[string]any{"text": "mine?", "client_id": "ord-1"}, bearer(f.ownerTok)).
		expect(t, 409, httpx.CodeConflict)
	if n := len(f.messages(t)); n != 3 {
		t.Fatalf("%d messages stored, want 3", n)
	}
}

func TestSendMessageRefusals(t *testing.T) {
	t.Parallel()
	f := newChatFixture(t)
	path := "/rest/v1/conversations/" + f.conv.ID + "/messages"
	for name, body := range map[string]string{
		"unknown field":     `{"text":"hi","sender_id":"agt_x"}`,
		"text wrong type":   `{"text":42}`,
		"client wrong type": `{"text":"hi","client_id":7}`,
		"no text":           `{}`,
		"null text":         `{"text":null}`,
		"blank text":        `{"text":"  \n "}`,
		"text too long":     `{"text":"` + strings.Repeat("é", hub.MaxTextLength+1) + `"}`,
		"empty client id":   `{"text":"hi","client_id":""}`,
		"long client id":    `{"text":"hi","client_id":"` + strings.Repeat("c", hub.MaxClientIDLength+1) + `"}`,
		"control client id": `{"text":"hi","client_id":"a\u0000b"}`,
		"two values":        `{"text":"a"}{"text":"b"}`,
		"not json":          `text=hi`,
	} {
		t.Run(name, func(t *testing.T) {
			f.e.with(t).do("POST", path, body, bearer(f.agentTok)).expect(t, 400, httpx.CodeValidationFailed)
		})
	}
	f.e.do("POST", path, `{"text":"`+strings.Repeat("a", 70<<10)+`"}`, bearer(f.agentTok)).
		expect(t, 413, httpx.CodePayloadTooLarge)
	f.e.do("POST", path, `{"text":"hi"}`, bearer(f.agentTok), header("Content-Type", "text/plain")).
		expect(t, 400, httpx.CodeValidationFailed)
	ok := map[string]any{"text": "just at the limit " + strings.Repeat("x", hub.MaxTextLength-18)}
	f.e.do("POST", path, ok, bearer(f.agentTok)).expect(t, 201, "")
	f.e.do("POST", path, map[string]any{"text": "hi"}, bearer(f.visitorTok)).expect(t, 403, httpx.CodeForbidden)
	f.e.do("POST", path, map[string]any{"text": "hi"}).expect(t, 401, httpx.CodeUnauthorized)
	f.e.do("POST", "/rest/v1/conversations/cnv_missing/messages", map[string]any{"text": "hi"}, bearer(f.agentTok)).
		expect(t, 404, httpx.CodeNotFound)
	f.e.do("POST", "/rest/v1/conversations/BAD!/messages", map[string]any{"text": "hi"}, bearer(f.agentTok)).
		expect(t, 404, httpx.CodeNotFound)
	if n := len(f.messages(t)); n != 1 {
		t.Fatalf("%d messages stored, want only the one at the limit", n)
	}
}

// Transfer and close as the caller; a closed conversation refuses sends
// and transfers with 409 conversation_closed; closing again is 200.
func TestTransferAndClose(t *testing.T) {
	t.Parallel()
	f := newChatFixture(t)
	base := "/rest/v1/conversations/" + f.conv.ID
	var got conversationOut
	f.e.do("POST", base+"/transfer", map[string]any{"agent_id": f.agent.ID}, bearer(f.ownerTok)).
		expect(t, 200, "").json(t, &got)
	if got.Conversation.ID != f.conv.ID || got.Conversation.AssigneeID == nil || *got.Conversation.AssigneeID != f.agent.ID {
		t.Fatalf("transferred %+v", got)
	}
	for name, body := range map[string]string{
		"no agent":      `{}`,
		"bad agent id":  `{"agent_id":"NOT VALID"}`,
		"wrong type":    `{"agent_id":["agt_x"]}`,
		"unknown field": `{"agent_id":"` + f.owner.ID + `","note":"x"}`,
	} {
		t.Run(name, func(t *testing.T) {
			f.e.with(t).do("POST", base+"/transfer", body, bearer(f.ownerTok)).expect(t, 400, httpx.CodeValidationFailed)
		})
	}
	f.e.do("POST", base+"/transfer", map[string]any{"agent_id": "agt_missing"}, bearer(f.ownerTok)).
		expect(t, 404, httpx.CodeNotFound)
	f.e.do("POST", base+"/transfer", map[string]any{"agent_id": f.otherAgent.ID}, bearer(f.ownerTok)).
		expect(t, 404, httpx.CodeNotFound)
	huge := `{"agent_id":"` + strings.Repeat("a", 70<<10) + `"}`
	f.e.do("POST", base+"/transfer", huge, bearer(f.ownerTok)).expect(t, 413, httpx.CodePayloadTooLarge)
	f.e.do("POST", base+"/close", huge, bearer(f.ownerTok)).expect(t, 413, httpx.CodePayloadTooLarge)
	f.e.do("POST", base+"/close", `{"reason":"x"}`, bearer(f.agentTok)).expect(t, 400, httpx.CodeValidationFailed)
	f.e.do("POST", base+"/close", `[]`, bearer(f.agentTok)).expect(t, 400, httpx.CodeValidationFailed)

	f.e.do("POST", base+"/close", `{}`, bearer(f.agentTok)).expect(t, 200, "").json(t, &got)
	if got.Conversation.Status != "closed" {
		t.Fatalf("closed %+v", got)
	}
	f.e.do("POST", base+"/close", nil, bearer(f.agentTok)).expect(t, 200, "").json(t, &got)
	if got.Conversation.Status != "closed" {
		t.Fatalf("closed again %+v", got)
	}
	f.e.do("POST", base+"/messages", map[string]any{"text": "late"}, bearer(f.agentTok)).
		expect(t, 409, codeConversationClosed)
	f.e.do("POST", base+"/transfer", map[string]any{"agent_id": f.owner.ID}, bearer(f.agentTok)).
		expect(t, 409, codeConversationClosed)
	for _, p := range []string{"/close", "/transfer"} {
		f.e.do("POST", base+p, map[string]any{}, bearer(f.visitorTok)).expect(t, 403, httpx.CodeForbidden)
	}
}

// Another organisation's agent gets 404 for every chat action on this
// organisation's conversation, and changes nothing.
func TestChatActionsTenancy(t *testing.T) {
	t.Parallel()
	f := newChatFixture(t)
	base := "/rest/v1/conversations/" + f.conv.ID
	f.e.do("POST", base+"/messages", map[string]any{"text": "intruder"}, bearer(f.otherTok)).
		expect(t, 404, httpx.CodeNotFound)
	f.e.do("POST", base+"/close", `{}`, bearer(f.otherTok)).expect(t, 404, httpx.CodeNotFound)
	f.e.do("POST", base+"/transfer", map[string]any{"agent_id": f.otherAgent.ID}, bearer(f.otherTok)).
		expect(t, 404, httpx.CodeNotFound)
	got, err := f.e.store.GetConversation(context.Background(), f.owner.OrgID, f.conv.ID)
	if err != nil || got.Status != storage.ConversationOpen || got.AssigneeID != "" || got.LastSeq != 0 {
		t.Fatalf("conversation after another tenant's attempts: %+v %v", got, err)
	}
}

// Without Config.Chat the routes answer 503, after validating the body.
func TestChatActionsUnavailable(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, tok := e.seedOrg("Acme")
	e.do("POST", "/rest/v1/conversations/cnv_x/messages", map[string]any{"text": "hi"}, bearer(tok)).
		expect(t, 503, codeUnavailable)
	e.do("POST", "/rest/v1/conversations/cnv_x/close", nil, bearer(tok)).expect(t, 503, codeUnavailable)
	e.do("POST", "/rest/v1/conversations/cnv_x/transfer", map[string]any{"agent_id": "agt_x"}, bearer(tok)).
		expect(t, 503, codeUnavailable)
	e.do("POST", "/rest/v1/conversations/cnv_x/messages", map[string]any{"nope": 1}, bearer(tok)).
		expect(t, 400, httpx.CodeValidationFailed)
}
