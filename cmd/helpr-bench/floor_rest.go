package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

// floorBodyLimit bounds a REST body, like helpr's 64 KiB.
const floorBodyLimit = 64 << 10

// handler routes the WebSocket endpoint and the REST stubs the harness uses
// to provision. The stubs check nothing: they answer with JSON of the same
// shape as helpr's (docs/api.md).
func (f *floor) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /rest/v1/ws", f.serveWS)
	mux.HandleFunc("POST /rest/v1/auth/register", f.registerAccount)
	mux.HandleFunc("POST /rest/v1/auth/login", f.login)
	mux.HandleFunc("POST /rest/v1/auth/refresh", f.refresh)
	mux.HandleFunc("POST /rest/v1/agents", f.createAgent)
	mux.HandleFunc("POST /rest/v1/widgets", f.createWidget)
	mux.HandleFunc("POST /rest/v1/visitor/sessions", f.visitorSession)
	mux.HandleFunc("GET /rest/v1/me", f.me)
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]any{
			"error": map[string]string{"code": "not_found", "message": "the floor server does not serve this path"}})
	})
	return mux
}

// floorBody is every field the stubs read from a request body.
type floorBody struct {
	OrgName        string   `json:"org_name"`
	Name           string   `json:"name"`
	Email          string   `json:"email"`
	Role           string   `json:"role"`
	RefreshToken   string   `json:"refresh_token"`
	PublishableKey string   `json:"publishable_key"`
	AllowedOrigins []string `json:"allowed_origins"`
}

// readBody decodes what it can; a malformed body reads as empty (no checks).
func readBody(r *http.Request) floorBody {
	var b floorBody
	_ = json.NewDecoder(io.LimitReader(r.Body, floorBodyLimit)).Decode(&b)
	return b
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// caller is the subject of the request's bearer token.
func caller(r *http.Request) floorSubject {
	tok, _ := bearer(r.Header.Get("Authorization"))
	return parseFloorToken(tok)
}

// agentJSON is helpr's agent object.
func agentJSON(s floorSubject, b floorBody, role string) map[string]string {
	return map[string]string{"id": s.ID, "org_id": s.OrgID, "name": b.Name, "email": b.Email, "role": role}
}

// remember records an account so that a later login finds it.
func (f *floor) remember(email string, s floorSubject) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.accounts[strings.ToLower(strings.TrimSpace(email))] = s
}

func (f *floor) registerAccount(w http.ResponseWriter, r *http.Request) {
	b := readBody(r)
	s := floorSubject{Kind: "agent", ID: storage.NewID("agt"), OrgID: storage.NewID("org")}
	f.remember(b.Email, s)
	writeJSON(w, http.StatusCreated, map[string]any{
		"organization": map[string]string{"id": s.OrgID, "name": b.OrgName},
		"agent":        agentJSON(s, b, "owner"),
	})
}

func (f *floor) login(w http.ResponseWriter, r *http.Request) {
	b := readBody(r)
	f.mu.RLock()
	s, ok := f.accounts[strings.ToLower(strings.TrimSpace(b.Email))]
	f.mu.RUnlock()
	if !ok {
		s = floorSubject{Kind: "agent", ID: storage.NewID("agt"), OrgID: floorDefaultOrg}
		f.remember(b.Email, s)
	}
	writeTokens(w, s)
}

func (f *floor) refresh(w http.ResponseWriter, r *http.Request) {
	writeTokens(w, parseFloorToken(readBody(r).RefreshToken))
}

// writeTokens answers like helpr's login and refresh.
func writeTokens(w http.ResponseWriter, s floorSubject) {
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token":  floorToken(floorAgentPrefix, s),
		"refresh_token": floorToken(floorRefreshPrefix, s),
		"token_type":    "Bearer",
		"expires_in":    int(floorTokenLifetime / time.Second),
	})
}

func (f *floor) createAgent(w http.ResponseWriter, r *http.Request) {
	b := readBody(r)
	s := floorSubject{Kind: "agent", ID: storage.NewID("agt"), OrgID: caller(r).OrgID}
	f.remember(b.Email, s)
	role := b.Role
	if role == "" {
		role = "agent"
	}
	writeJSON(w, http.StatusCreated, agentJSON(s, b, role))
}

// createWidget answers with a publishable key that names the organisation,
// so visitor sessions made with it land in the same inbox.
func (f *floor) createWidget(w http.ResponseWriter, r *http.Request) {
	b := readBody(r)
	origins := b.AllowedOrigins
	if origins == nil {
		origins = []string{}
	}
	writeJSON(w, http.StatusCreated, map[string]any{
		"id": storage.NewID("wdg"), "name": b.Name,
		"publishable_key": "pk_" + strings.TrimPrefix(storage.NewID("k"), "k_") + "." + caller(r).OrgID,
		"allowed_origins": origins, "created_at": f.stamp(),
	})
}

func (f *floor) visitorSession(w http.ResponseWriter, r *http.Request) {
	key := readBody(r).PublishableKey
	if key == "" {
		key = r.URL.Query().Get("publishable_key")
	}
	org := floorDefaultOrg
	if _, o, ok := strings.Cut(key, "."); ok && o != "" {
		org = o
	}
	s := floorSubject{Kind: "visitor", ID: storage.NewID("vis"), OrgID: org}
	writeJSON(w, http.StatusCreated, map[string]any{
		"visitor": map[string]string{"id": s.ID}, "token": floorToken(floorVisitorPrefix, s), "expires_in": 86400,
	})
}

func (f *floor) me(w http.ResponseWriter, r *http.Request) {
	s := caller(r)
	writeJSON(w, http.StatusOK, map[string]string{"kind": s.Kind, "id": s.ID, "org_id": s.OrgID})
}
