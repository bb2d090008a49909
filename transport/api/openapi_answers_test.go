package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
)

// answerValidator returns a libopenapi-validator over the served document.
// Strict mode reports properties an answer carries but the document does
// not declare, so a field added to a handler without the document fails.
// (GET /openapi.json is checked by TestOpenAPIServed: its body is the
// document itself.)
func answerValidator(t *testing.T) validator.Validator {
	t.Helper()
	doc, err := libopenapi.NewDocument(openAPIBytes(t))
	if err != nil {
		t.Fatal(err)
	}
	// X-Content-Type-Options: nosniff is on every JSON answer (httpx.WriteJSON).
	v, errs := validator.NewValidator(doc, config.WithStrictMode(),
		config.WithStrictIgnoredHeadersExtra("X-Content-Type-Options"))
	if len(errs) > 0 {
		t.Fatalf("validator: %v", errs)
	}
	return v
}

// exchange is one request of a real answer check.
type exchange struct {
	name, method, path string
	body               any // nil: none; string: raw JSON
	status             int // 0: any status the document names for the operation
	opts               []reqOpt
	headers            []string // headers the answer must carry
}

// checkAnswer sends x to e, requires its status, and validates the request
// and the answer against the document. It returns the answer's body.
func checkAnswer(t *testing.T, e *env, v validator.Validator, x exchange) []byte {
	t.Helper()
	var raw []byte
	switch b := x.body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			t.Fatal(err)
		}
	}
	req := func() *http.Request {
		var rd io.Reader
		if raw != nil {
			rd = bytes.NewReader(raw)
		}
		r, err := http.NewRequest(x.method, e.srv.URL+x.path, rd)
		if err != nil {
			t.Fatal(err)
		}
		if raw != nil {
			r.Header.Set("Content-Type", "application/json")
		}
		for _, o := range x.opts {
			o(r)
		}
		return r
	}
	res, err := e.srv.Client().Do(req())
	if err != nil {
		t.Fatalf("%s: %v", x.name, err)
	}
	body, err := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if x.status != 0 && res.StatusCode != x.status {
		t.Fatalf("%s: status %d, want %d: %s", x.name, res.StatusCode, x.status, body)
	}
	for _, h := range x.headers {
		if res.Header.Get(h) == "" {
			t.Errorf("%s: no %s header", x.name, h)
		}
	}
	if x.status != 0 && x.status < 400 { // the document describes valid requests
		if ok, errs := v.ValidateHttpRequestSync(req()); !ok {
			t.Errorf("%s: request does not match the document:%s", x.name, describe(errs))
		}
	}
	res.Body = io.NopCloser(bytes.NewReader(body))
	if ok, errs := v.ValidateHttpResponse(req(), res); !ok {
		t.Errorf("%s: %d answer does not match the document:%s\n  body: %s", x.name, res.StatusCode, describe(errs), body)
	}
	return body
}

func describe[E interface{ Error() string }](errs []E) string {
	var b strings.Builder
	for _, e := range errs {
		b.WriteString("\n  - " + e.Error())
	}
	return b.String()
}

// Real answers of the API validate against the documented schemas: the
// sign-in flow, the caller, team, widgets, visitors, history, audit, and
// error answers (400, 401, 403, 404).
func TestOpenAPIRealAnswers(t *testing.T) {
	v := answerValidator(t)
	e := newEnv(t)
	steps := []exchange{
		{name: "register", method: "POST", path: "/rest/v1/auth/register", body: registerBody("ada@acme.example"), status: 201},
		{name: "register invalid", method: "POST", path: "/rest/v1/auth/register",
			body: map[string]any{"org_name": "Acme", "name": "Ada", "email": "not an email", "password": testPassword}, status: 400},
		{name: "register unknown field", method: "POST", path: "/rest/v1/auth/register", body: `{"nope":1}`, status: 400},
		{name: "login", method: "POST", path: "/rest/v1/auth/login",
			body: map[string]any{"email": "ada@acme.example", "password": testPassword}, status: 200},
		{name: "login wrong password", method: "POST", path: "/rest/v1/auth/login",
			body: map[string]any{"email": "ada@acme.example", "password": "wrong password here"}, status: 401},
		{name: "me without token", method: "GET", path: "/rest/v1/me", status: 401},
		{name: "me bad token", method: "GET", path: "/rest/v1/me", status: 401, opts: []reqOpt{bearer("hla_nope")}},
	}
	for _, x := range steps {
		checkAnswer(t, e, v, x)
	}

	owner, tok := e.seedOrg("Beta")
	w := e.seedWidget(owner.OrgID, "https://shop.example")
	vis, vtok := e.seedVisitor(w)
	conv := e.seedConversation(vis, owner.ID, 3)
	_, agentTok := e.seedAgent(owner.OrgID, "agent")
	auth := []reqOpt{bearer(tok)}
	steps = []exchange{
		{name: "me agent", method: "GET", path: "/rest/v1/me", status: 200, opts: auth},
		{name: "me visitor", method: "GET", path: "/rest/v1/me", status: 200, opts: []reqOpt{bearer(vtok)}},
		{name: "list conversations", method: "GET", path: "/rest/v1/conversations?status=open&limit=1", status: 200, opts: auth},
		{name: "list conversations as visitor", method: "GET", path: "/rest/v1/conversations", status: 200, opts: []reqOpt{bearer(vtok)}},
		{name: "list conversations bad limit", method: "GET", path: "/rest/v1/conversations?limit=0", status: 400, opts: auth},
		{name: "get conversation", method: "GET", path: "/rest/v1/conversations/" + conv.ID, status: 200, opts: auth},
		{name: "get conversation unknown", method: "GET", path: "/rest/v1/conversations/cnv_unknown", status: 404, opts: auth},
		{name: "messages", method: "GET", path: "/rest/v1/conversations/" + conv.ID + "/messages?limit=2", status: 200, opts: auth},
		{name: "assignee", method: "GET", path: "/rest/v1/conversations/" + conv.ID + "/assignee", status: 200, opts: []reqOpt{bearer(vtok)}},
		{name: "search", method: "GET", path: "/rest/v1/messages/search?q=hello", status: 200, opts: auth},
		{name: "agents", method: "GET", path: "/rest/v1/agents", status: 200, opts: auth},
		{name: "widgets", method: "GET", path: "/rest/v1/widgets", status: 200, opts: auth},
		{name: "create widget", method: "POST", path: "/rest/v1/widgets", status: 201, opts: auth,
			body: map[string]any{"name": "Shop", "allowed_origins": []string{"https://shop.example"}, "prechat": map[string]any{"email": "required"}}},
		{name: "create widget as agent", method: "POST", path: "/rest/v1/widgets", status: 403,
			opts: []reqOpt{bearer(agentTok)}, body: map[string]any{"name": "Shop"}},
		{name: "widget config", method: "GET", path: "/rest/v1/widget/config?key=" + w.PublishableKey, status: 200},
		{name: "visitor session", method: "POST", path: "/rest/v1/visitor/sessions", status: 201,
			body: map[string]any{"publishable_key": w.PublishableKey, "name": "Vera"}},
		{name: "visitor probe", method: "GET", path: "/rest/v1/visitor/session", status: 200},
		{name: "visitor", method: "GET", path: "/rest/v1/visitors/" + vis.ID, status: 200, opts: auth},
		{name: "visitor export", method: "GET", path: "/rest/v1/visitors/" + vis.ID + "/export", status: 200, opts: auth},
		{name: "visitors by email", method: "GET", path: "/rest/v1/visitors?email=vera%40example.com", status: 200, opts: auth},
		{name: "audit", method: "GET", path: "/rest/v1/audit", status: 200, opts: auth},
		{name: "my sessions", method: "GET", path: "/rest/v1/me/sessions", status: 200, opts: auth},
		{name: "invitations", method: "GET", path: "/rest/v1/invitations", status: 200, opts: auth},
		{name: "totp status", method: "GET", path: "/rest/v1/auth/totp", status: 200, opts: auth},
		{name: "passkeys", method: "GET", path: "/rest/v1/auth/passkeys", status: 200, opts: auth},
		{name: "rename widget", method: "PATCH", path: "/rest/v1/widgets/" + w.ID, status: 200, opts: auth,
			body: map[string]any{"offline_message": "Back soon", "prechat": map[string]any{"phone": "hidden"}}},
		{name: "widget patch empty", method: "PATCH", path: "/rest/v1/widgets/" + w.ID, status: 400, opts: auth, body: `{}`},
		{name: "preflight", method: "OPTIONS", path: "/rest/v1/visitor/sessions?publishable_key=" + w.PublishableKey, status: 204,
			opts: []reqOpt{origin("https://shop.example"), header("Access-Control-Request-Method", "POST")}},
		{name: "invite without mailer", method: "POST", path: "/rest/v1/invitations", status: 503, opts: auth,
			body: map[string]any{"email": "nina@example.com", "role": "agent"}},
		{name: "magic link without mailer", method: "POST", path: "/rest/v1/auth/magic-link", status: 503,
			body: map[string]any{"email": "nina@example.com"}},
		{name: "erase visitor", method: "DELETE", path: "/rest/v1/visitors/" + vis.ID, status: 204, opts: auth},
		{name: "logout", method: "POST", path: "/rest/v1/auth/logout", status: 204, opts: auth},
	}
	for _, x := range steps {
		checkAnswer(t, e, v, x)
	}
}

// A rate-limited answer (429 with Retry-After) matches the document.
func TestOpenAPIRateLimitedAnswer(t *testing.T) {
	v := answerValidator(t)
	e := newEnv(t, withLimits)
	for i := range DefaultRegisterLimit {
		checkAnswer(t, e, v, exchange{name: "register", method: "POST", path: "/rest/v1/auth/register",
			body: registerBody(fmt.Sprintf("ada%d@acme.example", i)), status: 201})
	}
	checkAnswer(t, e, v, exchange{name: "register over the limit", method: "POST", path: "/rest/v1/auth/register",
		body: registerBody("eve@acme.example"), status: 429, headers: []string{"Retry-After"}})
}

// The answer check is not a rubber stamp: an answer with a field the
// document lacks, or a wrong type, fails.
func TestOpenAPIAnswerCheckCatchesDrift(t *testing.T) {
	v := answerValidator(t)
	for name, body := range map[string]string{
		"undocumented field":  `{"kind":"visitor","id":"vis_1","org_id":"org_1","widget_id":"wdg_1","secret":"x"}`,
		"wrong type":          `{"kind":"visitor","id":1,"org_id":"org_1","widget_id":"wdg_1"}`,
		"missing field":       `{"kind":"visitor","id":"vis_1","org_id":"org_1"}`,
		"unknown error code":  `{"error":{"code":"oops","message":"x"}}`,
		"undocumented status": `{"error":{"code":"not_found","message":"teapot"}}`,
	} {
		t.Run(name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", "http://hub.example/rest/v1/me", nil)
			req.Header.Set("Authorization", "Bearer hla_x")
			status := http.StatusOK
			switch {
			case name == "undocumented status":
				status = http.StatusTeapot
			case strings.Contains(body, `"error"`):
				status = http.StatusUnauthorized
			}
			res := &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}},
				Body: io.NopCloser(strings.NewReader(body)), Request: req}
			if ok, _ := v.ValidateHttpResponse(req, res); ok {
				t.Fatal("validated")
			}
		})
	}
}

// Real answers of the API-key, chat-action and visitor routes, with a
// session and with a secret key (X-RateLimit-* headers, scope and key
// refusals), validate against the document.
func TestOpenAPIRealAnswersKeys(t *testing.T) {
	v := answerValidator(t)
	e := newEnv(t, withHub)
	owner, tok := e.seedOrg("Keys")
	other, _ := e.seedAgent(owner.OrgID, "agent")
	w := e.seedWidget(owner.OrgID, "https://shop.example")
	vis, _ := e.seedVisitor(w)
	conv := e.seedConversation(vis, "", 1)
	e.seedConversation(vis, "", 0)
	auth := []reqOpt{bearer(tok)}

	var created createdKey
	body := checkAnswer(t, e, v, exchange{name: "create key", method: "POST", path: "/rest/v1/api-keys", status: 201, opts: auth,
		body: map[string]any{"name": "CRM", "scopes": []string{"chats:read", "chats:write", "visitors:read", "visitors:write"}, "rpm": 100}})
	if err := json.Unmarshal(body, &created); err != nil {
		t.Fatal(err)
	}
	steps := []exchange{
		{name: "list keys", method: "GET", path: "/rest/v1/api-keys", status: 200, opts: auth},
		{name: "update key", method: "PATCH", path: "/rest/v1/api-keys/" + created.ID, status: 200, opts: auth, body: map[string]any{"rpm": 120}},
		{name: "create key bad scope", method: "POST", path: "/rest/v1/api-keys", status: 400, opts: auth,
			body: map[string]any{"name": "x", "scopes": []string{"team:write"}}},
		{name: "rotate widget key", method: "POST", path: "/rest/v1/widgets/" + w.ID + "/rotate-key", status: 200, opts: auth,
			body: map[string]any{"overlap_seconds": 60}},
	}
	for _, x := range steps {
		checkAnswer(t, e, v, x)
	}
	var rotated createdKey
	body = checkAnswer(t, e, v, exchange{name: "rotate key", method: "POST", path: "/rest/v1/api-keys/" + created.ID + "/rotate",
		status: 201, opts: auth, body: map[string]any{"overlap_seconds": 0}})
	if err := json.Unmarshal(body, &rotated); err != nil {
		t.Fatal(err)
	}
	key := []reqOpt{bearer(rotated.Key)}
	var page struct {
		NextCursor *string `json:"next_cursor"`
	}
	body = checkAnswer(t, e, v, exchange{name: "key: conversations", method: "GET", path: "/rest/v1/conversations?limit=1",
		status: 200, opts: key, headers: []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"}})
	if err := json.Unmarshal(body, &page); err != nil || page.NextCursor == nil {
		t.Fatalf("no next_cursor: %s", body)
	}
	steps = []exchange{
		{name: "key: conversations page 2", method: "GET", path: "/rest/v1/conversations?limit=1&cursor=" + *page.NextCursor, status: 200, opts: key},
		{name: "key: send", method: "POST", path: "/rest/v1/conversations/" + conv.ID + "/messages", status: 201, opts: key,
			body: map[string]any{"text": "On its way", "client_id": "crm-1"}},
		{name: "key: send again", method: "POST", path: "/rest/v1/conversations/" + conv.ID + "/messages", status: 200, opts: key,
			body: map[string]any{"text": "On its way", "client_id": "crm-1"}},
		{name: "key: transfer", method: "POST", path: "/rest/v1/conversations/" + conv.ID + "/transfer", status: 200, opts: key,
			body: map[string]any{"agent_id": other.ID}},
		{name: "key: close", method: "POST", path: "/rest/v1/conversations/" + conv.ID + "/close", status: 200, opts: key, body: `{}`},
		{name: "key: send to closed", method: "POST", path: "/rest/v1/conversations/" + conv.ID + "/messages", status: 409, opts: key,
			body: map[string]any{"text": "late"}},
		{name: "key: unknown conversation", method: "GET", path: "/rest/v1/conversations/cnv_nope", status: 404, opts: key,
			headers: []string{"X-RateLimit-Remaining"}},
		{name: "key: visitors", method: "GET", path: "/rest/v1/visitors?limit=10", status: 200, opts: key},
		{name: "key: patch visitor", method: "PATCH", path: "/rest/v1/visitors/" + vis.ID, status: 200, opts: key,
			body: map[string]any{"name": "Vera", "phone": nil}},
		{name: "key: agents without team:read", method: "GET", path: "/rest/v1/agents", status: 403, opts: key},
		{name: "key: me", method: "GET", path: "/rest/v1/me", status: 403, opts: key},
		{name: "old key after rotation", method: "GET", path: "/rest/v1/conversations", status: 401, opts: []reqOpt{bearer(created.Key)}},
		{name: "revoke key", method: "DELETE", path: "/rest/v1/api-keys/" + rotated.ID, status: 204, opts: auth},
		{name: "revoked key", method: "GET", path: "/rest/v1/conversations", status: 401, opts: key},
	}
	for _, x := range steps {
		checkAnswer(t, e, v, x)
	}
}

// Real answers of the chat-token, customer-user and webhook routes
// validate against the document. The dispatcher is real but not running
// (deliveries stay pending: nothing is sent); the server is in --dev mode
// for POST /auth/dev-token, so keys are sk_test_.
func TestOpenAPIRealAnswersTokensAndWebhooks(t *testing.T) {
	v := answerValidator(t)
	e, _ := newHookEnv(t)
	e = withTokenConfig(t, e)
	owner, tok := e.seedOrg("Hooks")
	w := e.seedWidget(owner.OrgID)
	k, secret := e.seedKey(owner, e.api.keyMode(), []string{"visitors:read", "webhooks:write"})
	auth := []reqOpt{bearer(tok)}
	keyAuth := []reqOpt{bearer(secret)}

	var issued struct {
		CustomerUserID string `json:"customerUserId"`
		Token          string `json:"token"`
	}
	body := checkAnswer(t, e, v, exchange{name: "chat token", method: "POST", path: "/rest/v1/auth/token", status: 200,
		body:    map[string]any{"keyId": k.ID, "keySecret": secret, "user": map[string]any{"id": "user-1", "name": "Uma"}, "expiresIn": "1h"},
		headers: []string{"X-RateLimit-Remaining"}})
	if err := json.Unmarshal(body, &issued); err != nil || issued.CustomerUserID == "" {
		t.Fatalf("chat token answer %s", body)
	}
	var hook struct{ ID string }
	body = checkAnswer(t, e, v, exchange{name: "create webhook", method: "POST", path: "/rest/v1/webhooks", status: 201, opts: auth,
		body: map[string]any{"url": publicHookURL, "events": []string{"message.created", "visitor.created"}, "description": "CRM"}})
	if err := json.Unmarshal(body, &hook); err != nil || hook.ID == "" {
		t.Fatalf("webhook answer %s", body)
	}
	var delivery struct{ ID string }
	body = checkAnswer(t, e, v, exchange{name: "test webhook", method: "POST", path: "/rest/v1/webhooks/" + hook.ID + "/test", status: 202, opts: auth})
	if err := json.Unmarshal(body, &delivery); err != nil || delivery.ID == "" {
		t.Fatalf("delivery answer %s", body)
	}
	hookPath := "/rest/v1/webhooks/" + hook.ID
	steps := []exchange{
		{name: "chat token bad secret", method: "POST", path: "/rest/v1/auth/token", status: 401,
			body: map[string]any{"keyId": k.ID, "keySecret": "sk_test_nope", "user": map[string]any{"id": "user-1"}}},
		{name: "chat token bad expiry", method: "POST", path: "/rest/v1/auth/token", status: 400,
			body: map[string]any{"keyId": k.ID, "keySecret": secret, "user": map[string]any{"id": "user-1"}, "expiresIn": "30d"}},
		{name: "visitor session with token", method: "POST", path: "/rest/v1/visitor/sessions", status: 201,
			body: map[string]any{"publishable_key": w.PublishableKey, "token": issued.Token}},
		{name: "customer users", method: "GET", path: "/rest/v1/customer-users", status: 200, opts: auth},
		{name: "key: customer users", method: "GET", path: "/rest/v1/customer-users?limit=5", status: 200, opts: keyAuth},
		{name: "customer user", method: "GET", path: "/rest/v1/customer-users/" + issued.CustomerUserID, status: 200, opts: auth},
		{name: "customer user unknown", method: "GET", path: "/rest/v1/customer-users/cus_unknown", status: 404, opts: auth},
		{name: "invalidate", method: "POST", path: "/rest/v1/auth/invalidate-token", status: 200,
			body: map[string]any{"keyId": k.ID, "keySecret": secret, "customerUserId": issued.CustomerUserID}},
		{name: "dev token", method: "POST", path: "/rest/v1/auth/dev-token", status: 200,
			body: map[string]any{"publishable_key": w.PublishableKey, "user": map[string]any{"id": "dev-1"}}},
		{name: "dev token unknown key", method: "POST", path: "/rest/v1/auth/dev-token", status: 0,
			body: map[string]any{"publishable_key": "pk_test_unknown", "user": map[string]any{"id": "dev-1"}}},
		{name: "webhooks", method: "GET", path: "/rest/v1/webhooks", status: 200, opts: auth},
		{name: "key: webhooks", method: "GET", path: "/rest/v1/webhooks", status: 200, opts: keyAuth},
		{name: "webhook", method: "GET", path: hookPath, status: 200, opts: auth},
		{name: "webhook unknown", method: "GET", path: "/rest/v1/webhooks/whk_unknown", status: 404, opts: auth},
		{name: "webhook refused url", method: "POST", path: "/rest/v1/webhooks", status: 400, opts: auth,
			body: map[string]any{"url": "http://127.0.0.1:9/x", "events": []string{"message.created"}}},
		{name: "patch webhook", method: "PATCH", path: hookPath, status: 200, opts: auth,
			body: map[string]any{"enabled": true, "description": "CRM v2"}},
		{name: "rotate secret", method: "POST", path: hookPath + "/rotate-secret", status: 200, opts: auth,
			body: map[string]any{"overlap_seconds": 3600}},
		{name: "deliveries", method: "GET", path: hookPath + "/deliveries?limit=10", status: 200, opts: auth},
		{name: "redeliver", method: "POST", path: "/rest/v1/webhooks/deliveries/" + delivery.ID + "/redeliver", status: 202, opts: auth},
		{name: "delete webhook", method: "DELETE", path: hookPath, status: 204, opts: auth},
	}
	for _, x := range steps {
		checkAnswer(t, e, v, x)
	}
}

// withTokenConfig restarts e's API with a chat token issuer and --dev on,
// keeping its store, sessions and dispatcher.
func withTokenConfig(t *testing.T, e *env) *env {
	t.Helper()
	cfg := e.api.cfg
	withChatTokens(t)(&cfg)
	allRoutesConfig(&cfg)
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.srv.Config.Handler = a.Handler()
	e.api = a
	return e
}
