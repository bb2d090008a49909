package api

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/helpr-chat/helpr/transport/httpx"
)

// The contract's rows, in full: the table must hold exactly these (rows
// for routes other helpers add included).
var contractScopes = map[string]string{
	"GET /conversations": "chats:read", "GET /conversations/{id}": "chats:read",
	"GET /conversations/{id}/messages": "chats:read", "GET /conversations/{id}/assignee": "chats:read",
	"GET /conversations/{id}/agents/{agent_id}": "chats:read", "GET /messages/search": "chats:read",
	"POST /conversations/{id}/messages": "chats:write", "POST /conversations/{id}/close": "chats:write",
	"POST /conversations/{id}/transfer": "chats:write",
	"GET /visitors":                     "visitors:read", "GET /visitors/{id}": "visitors:read", "GET /visitors/{id}/export": "visitors:read",
	"PATCH /visitors/{id}": "visitors:write", "DELETE /visitors/{id}": "visitors:write",
	"GET /customer-users": "visitors:read", "GET /customer-users/{id}": "visitors:read",
	"GET /agents": "team:read", "GET /invitations": "team:read",
}

func TestRouteScopesMatchContract(t *testing.T) {
	t.Parallel()
	for route, scope := range contractScopes {
		if routeScopes[route] != scope {
			t.Errorf("%s: table says %q, contract %q", route, routeScopes[route], scope)
		}
	}
	for route, scope := range routeScopes {
		if !slices.Contains(allScopes, scope) {
			t.Errorf("%s: unknown scope %q", route, scope)
		}
		if _, ok := contractScopes[route]; !ok && !strings.Contains(route, " /webhooks") {
			t.Errorf("%s: not a row of the contract", route)
		}
		if strings.Contains(route, " /webhooks") && scope != scopeWebhooksWrite {
			t.Errorf("%s: webhook routes are webhooks:write, not %s", route, scope)
		}
	}
}

// Every row of the table, at the scope gate: a key with exactly the row's
// scope passes, a key with every other scope (all five at once, and each
// alone) gets 403 insufficient_scope naming the scope. The gate reads the
// ServeMux pattern, so the rows of routes not registered yet are checked
// the same way.
func TestRouteScopeGateEveryRow(t *testing.T) {
	t.Parallel()
	for route, need := range routeScopes {
		method, path, _ := strings.Cut(route, " ")
		r, err := http.NewRequest(method, "http://hub"+prefix+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		r.Pattern = method + " " + prefix + path
		if err := checkScope(r, []string{need}); err != nil {
			t.Errorf("%s with %s: %v", route, need, err)
		}
		others := slices.DeleteFunc(slices.Clone(allScopes), func(s string) bool { return s == need })
		for _, set := range append([][]string{others}, splitEach(others)...) {
			err := checkScope(r, set)
			he, ok := err.(*httpx.Error)
			if !ok || he.Status != http.StatusForbidden || he.Code != codeInsufficientScope || !strings.Contains(he.Message, need) {
				t.Errorf("%s with %v: %v, want 403 insufficient_scope naming %s", route, set, err, need)
			}
		}
	}
	r, _ := http.NewRequest("GET", "http://hub/rest/v1/unlisted", nil)
	r.Pattern = "GET /rest/v1/unlisted"
	if he, ok := checkScope(r, allScopes).(*httpx.Error); !ok || he.Code != codeInsufficientScope {
		t.Error("a route missing from the table is not refused")
	}
}

func splitEach(s []string) [][]string {
	out := make([][]string, len(s))
	for i, v := range s {
		out[i] = []string{v}
	}
	return out
}

// The same through the real router, for every route registered now: a
// key with the row's scope is not refused by the gate (nor 401), a key
// with every other scope is 403 insufficient_scope; every authenticated
// route missing from the table refuses a key holding all six scopes.
func TestRouteScopesThroughRouter(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, _ := e.seedOrg("Acme")
	keys := map[string]string{}
	for _, s := range allScopes {
		_, keys[s] = e.seedKey(owner, "live", []string{s})
	}
	_, all := e.seedKey(owner, "live", allScopes)
	rt := newRouter(e.api)
	e.api.routes(rt)
	registered := 0
	for _, full := range rt.paths {
		path := strings.TrimPrefix(full, prefix)
		concrete := strings.NewReplacer("{id}", "x_missing", "{agent_id}", "agt_missing").Replace(full)
		for _, method := range rt.methods[full] {
			if method == http.MethodHead {
				continue
			}
			route := method + " " + path
			need, listed := routeScopes[route]
			if !listed {
				if anon := e.do(method, concrete, "{}"); anon.status != http.StatusUnauthorized ||
					!strings.Contains(string(anon.body), "authentication required") {
					continue // a public route (authed does not run): no credential is read
				}
				e.do(method, concrete, "{}", bearer(all)).expect(t, 403, codeInsufficientScope)
				continue
			}
			registered++
			if r := e.do(method, concrete, "{}", bearer(keys[need])); r.status == 401 || r.status == 403 && strings.Contains(string(r.body), codeInsufficientScope) {
				t.Errorf("%s with %s: %d %s", route, need, r.status, r.body)
			}
			for _, s := range allScopes {
				if s != need {
					e.do(method, concrete, "{}", bearer(keys[s])).expect(t, 403, codeInsufficientScope)
				}
			}
		}
	}
	if registered < 12 { // the routes of the table that exist before other helpers' branches
		t.Fatalf("only %d table routes are registered; the walk is broken", registered)
	}
}
