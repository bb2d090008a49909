package api

import "time"

// Default limit of POST /agents per organisation: an owner or admin adding
// a team is a handful of calls, while a script probing emails or filling
// the store is many. A cluster builds its shared window with the
// configured numbers.
const (
	DefaultAgentCreateLimit  = 30
	DefaultAgentCreateWindow = time.Hour
)

// limitAgentCreate names the agent-creation limit in logs and in
// helpr_rate_limited_total{limit}; a cluster's Redis prefix uses it too.
const limitAgentCreate = "agent_create"

// newAgentCreateLimiter returns the per-organisation agent-creation limit.
// Like the visitor-session limits it fails open to this node's window when
// the shared one errors: it throttles abuse by signed-in managers, it
// guards no credential.
func (a *API) newAgentCreateLimiter(shared Limiter, cfg RateLimit) limiter {
	return a.newFallbackLimiter(limitAgentCreate, shared, cfg,
		RateLimit{Limit: DefaultAgentCreateLimit, Window: DefaultAgentCreateWindow})
}
