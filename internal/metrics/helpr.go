package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// LatencyBuckets are the bucket bounds of helpr's latency histograms, in
// seconds: 100 µs doubling to about 3.3 s.
var LatencyBuckets = prometheus.ExponentialBuckets(0.0001, 2, 16)

// CountBuckets are the bucket bounds of helpr's size histograms (rows per
// commit, recipients per fan-out): 1, 2, 4, … 256.
var CountBuckets = prometheus.ExponentialBuckets(1, 2, 9)

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

	// AckSeconds is helpr_ack_seconds: from a decoded message.send frame
	// to its ack queued for the socket.
	AckSeconds *Histogram
	// AppendSeconds is helpr_append_seconds: the store append of a chat
	// message (hub.Observer AppendDone).
	AppendSeconds *Histogram
	// FanoutSeconds is helpr_fanout_seconds: handing one event to a room's
	// local members (hub.Observer FanoutDone).
	FanoutSeconds *Histogram
	// FanoutRecipients is helpr_fanout_recipients: local members per
	// fan-out.
	FanoutRecipients *Histogram
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

		AckSeconds:       r.Histogram("helpr_ack_seconds", "Seconds from a decoded message.send frame to its ack queued.", LatencyBuckets),
		AppendSeconds:    r.Histogram("helpr_append_seconds", "Seconds spent in the store append of a chat message.", LatencyBuckets),
		FanoutSeconds:    r.Histogram("helpr_fanout_seconds", "Seconds spent handing one event to a room's local members.", LatencyBuckets),
		FanoutRecipients: r.Histogram("helpr_fanout_recipients", "Local members an event was handed to, per fan-out.", CountBuckets),
	}
}

// AppendDone records one store append (hub.Observer).
func (h *Helpr) AppendDone(d time.Duration) {
	if h != nil {
		h.AppendSeconds.ObserveDuration(d)
	}
}

// FanoutDone records one fan-out to recipients local members (hub.Observer).
func (h *Helpr) FanoutDone(recipients int, d time.Duration) {
	if h != nil {
		h.FanoutSeconds.ObserveDuration(d)
		h.FanoutRecipients.Observe(float64(recipients))
	}
}

// Store is the embedded store's commit series: helpr_store_commit_seconds,
// helpr_store_commits_total and helpr_store_rows_per_commit. A nil *Store
// records nothing.
type Store struct {
	// CommitSeconds is helpr_store_commit_seconds: one write transaction
	// of appended messages, begin to commit.
	CommitSeconds *Histogram
	// Commits is helpr_store_commits_total: those transactions.
	Commits *Counter
	// RowsPerCommit is helpr_store_rows_per_commit: appended rows per
	// transaction (the group-commit batch size).
	RowsPerCommit *Histogram
}

// NewStore registers the store commit series on r.
func NewStore(r *Registry) *Store {
	return &Store{
		CommitSeconds: r.Histogram("helpr_store_commit_seconds", "Seconds per store write transaction of appended messages.", LatencyBuckets),
		Commits:       r.Counter("helpr_store_commits_total", storeCommitsHelp).With(),
		RowsPerCommit: r.Histogram("helpr_store_rows_per_commit", "Appended messages per store write transaction.", CountBuckets),
	}
}

// storeCommitsHelp is the help of helpr_store_commits_total, shared by
// NewStore and StoreCommitsFunc.
const storeCommitsHelp = "Store write transactions of appended messages."

// StoreCommitsFunc registers helpr_store_commits_total read from fn, for a
// store that counts its commits but cannot report each one.
func StoreCommitsFunc(r *Registry, fn func() float64) {
	r.CounterFunc("helpr_store_commits_total", storeCommitsHelp, fn)
}

// CommitDone records one commit of rows appended rows that took took (the
// sqlite store's OnCommit callback).
func (s *Store) CommitDone(rows int, took time.Duration) {
	if s != nil {
		s.CommitSeconds.ObserveDuration(took)
		s.Commits.Inc()
		s.RowsPerCommit.Observe(float64(rows))
	}
}
