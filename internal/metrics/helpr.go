package metrics

// Helpr is helpr's own metric set. Wire one per process (NewHelpr on the
// registry served at /metrics) and share it. Label values must come from
// small fixed sets: error codes and failure reasons, route patterns (never
// raw paths), status codes.
type Helpr struct {
	// Connections is helpr_connections: open WebSocket connections.
	Connections *Gauge
	// FramesIn is helpr_frames_received_total: frames read from clients.
	FramesIn *Counter
	// FramesOut is helpr_frames_sent_total: frames written to clients.
	FramesOut *Counter
	// MessagesStored is helpr_messages_stored_total: chat messages durably
	// stored (idempotent resends not counted).
	MessagesStored *Counter
	// Rejections is helpr_rejections_total{reason}: frames and upgrades
	// refused, by error code.
	Rejections *CounterVec
	// AuthFailures is helpr_auth_failures_total{reason}: failed token and
	// credential checks, by reason.
	AuthFailures *CounterVec
	// HTTPRequests is helpr_http_requests_total{route,code}: HTTP requests
	// by route pattern and status code.
	HTTPRequests *CounterVec
	// RateLimited is helpr_rate_limited_total{limit}: requests and frames
	// refused because a named sliding-window limit was reached (register,
	// login_ip, login_account, visitor_session_ip, visitor_session_widget,
	// conversation_visitor).
	RateLimited *CounterVec

	// ChatTokensIssued is helpr_chat_tokens_issued_total: chat tokens
	// issued (POST /auth/token and, with --dev, /auth/dev-token).
	ChatTokensIssued *Counter
	// ChatTokenFailures is helpr_chat_token_failures_total{reason}: chat
	// tokens refused, by reason (malformed, signature, expired, claims,
	// customer_user, token_version, organization, agent).
	ChatTokenFailures *CounterVec
	// ChatTokenInvalidations is helpr_chat_token_invalidations_total:
	// POST /auth/invalidate-token calls that bumped a token version.
	ChatTokenInvalidations *Counter
}

// NewHelpr registers helpr's metrics on r. Calling it twice on one registry
// returns sets that share the same series.
func NewHelpr(r *Registry) *Helpr {
	return &Helpr{
		Connections:    r.Gauge("helpr_connections", "Open WebSocket connections."),
		FramesIn:       r.Counter("helpr_frames_received_total", "WebSocket frames received from clients.").With(),
		FramesOut:      r.Counter("helpr_frames_sent_total", "WebSocket frames sent to clients.").With(),
		MessagesStored: r.Counter("helpr_messages_stored_total", "Chat messages durably stored, idempotent resends excluded.").With(),
		Rejections:     r.Counter("helpr_rejections_total", "Frames and requests refused, by reason.", "reason"),
		AuthFailures:   r.Counter("helpr_auth_failures_total", "Failed token and credential checks, by reason.", "reason"),
		HTTPRequests:   r.Counter("helpr_http_requests_total", "HTTP requests served, by route pattern and status code.", "route", "code"),
		RateLimited:    r.Counter("helpr_rate_limited_total", "Requests and frames refused by a sliding-window rate limit, by limit.", "limit"),

		ChatTokensIssued:       r.Counter("helpr_chat_tokens_issued_total", "Chat tokens issued for customers' users.").With(),
		ChatTokenFailures:      r.Counter("helpr_chat_token_failures_total", "Chat tokens refused, by reason.", "reason"),
		ChatTokenInvalidations: r.Counter("helpr_chat_token_invalidations_total", "Customer users whose chat tokens were invalidated.").With(),
	}
}
