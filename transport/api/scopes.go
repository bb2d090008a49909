package api

// The six scopes of secret API keys. There is no team:write: team
// mutations stay with agent sessions.
const (
	scopeChatsRead     = "chats:read"
	scopeChatsWrite    = "chats:write"
	scopeVisitorsRead  = "visitors:read"
	scopeVisitorsWrite = "visitors:write"
	scopeTeamRead      = "team:read"
	scopeWebhooksWrite = "webhooks:write"
)

// allScopes lists the scopes in the order the API documents them.
var allScopes = []string{scopeChatsRead, scopeChatsWrite, scopeVisitorsRead, scopeVisitorsWrite,
	scopeTeamRead, scopeWebhooksWrite}

// routeScopes is the scope a secret API key needs per route, keyed by the
// router's method and pattern without /rest/v1. A route missing here is
// refused to every key (403 insufficient_scope): /api-keys, /audit,
// /auth/*, /me, sessions, widgets management and team mutations never
// are available to keys. Rows for routes not (yet) registered are inert.
// Handlers wrapped in manager(...) still check the owner's current role.
var routeScopes = map[string]string{
	"GET /conversations":                        scopeChatsRead,
	"GET /conversations/{id}":                   scopeChatsRead,
	"GET /conversations/{id}/messages":          scopeChatsRead,
	"GET /conversations/{id}/assignee":          scopeChatsRead,
	"GET /conversations/{id}/agents/{agent_id}": scopeChatsRead,
	"GET /messages/search":                      scopeChatsRead,
	"POST /conversations/{id}/messages":         scopeChatsWrite,
	"POST /conversations/{id}/close":            scopeChatsWrite,
	"POST /conversations/{id}/transfer":         scopeChatsWrite,

	"GET /visitors":             scopeVisitorsRead,
	"GET /visitors/{id}":        scopeVisitorsRead,
	"GET /visitors/{id}/export": scopeVisitorsRead,
	"PATCH /visitors/{id}":      scopeVisitorsWrite,
	"DELETE /visitors/{id}":     scopeVisitorsWrite,
	"GET /customer-users":       scopeVisitorsRead,
	"GET /customer-users/{id}":  scopeVisitorsRead,

	"GET /agents":      scopeTeamRead,
	"GET /invitations": scopeTeamRead,

	// Every webhook route (GETs included) is webhooks:write.
	"POST /webhooks":                           scopeWebhooksWrite,
	"GET /webhooks":                            scopeWebhooksWrite,
	"GET /webhooks/{id}":                       scopeWebhooksWrite,
	"PATCH /webhooks/{id}":                     scopeWebhooksWrite,
	"DELETE /webhooks/{id}":                    scopeWebhooksWrite,
	"POST /webhooks/{id}/rotate-secret":        scopeWebhooksWrite,
	"GET /webhooks/{id}/deliveries":            scopeWebhooksWrite,
	"POST /webhooks/deliveries/{id}/redeliver": scopeWebhooksWrite,
	"POST /webhooks/{id}/test":                 scopeWebhooksWrite,
}
