// Package api is helpr's REST API under /rest/v1/: registration, sign-in
// with two-token sessions, the agent team, widgets, visitor sessions,
// conversation history, and the data-subject endpoints (visitor lookup,
// export and erasure, agent erasure). Every error is JSON
// ({"error":{"code":…,"message":…}}, codes in transport/httpx), every body
// is size-limited and strictly decoded, every query parameter validated, and
// every read is scoped to the caller's organisation.
package api

import (
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpr-chat/helpr/internal/metrics"
	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/transport/httpx"
)

// maxBody caps every request body.
const maxBody = 64 << 10

// Config configures the API. Store, Sessions, Hasher and Privacy are
// required; every other zero field means its documented default.
type Config struct {
	// Store is the store with PII sealing, a *security.SealedStore: its
	// type (see Store) makes a raw backend a compile error.
	Store    Store
	Sessions *security.Sessions
	Hasher   *security.Hasher
	// Privacy finds visitors by email through the blind index and names
	// erased subjects. Nil means Store, when Store implements Privacy (a
	// *security.SealedStore does).
	Privacy Privacy
	Logger  zerolog.Logger
	// Now is the clock (nil: time.Now). Rate-limit windows and expires_in
	// use it; pass the same clock to security.Sessions.
	Now func() time.Time
	// PublicOrigin is the console's origin, e.g. "http://127.0.0.1:8080".
	// Cookie-authenticated state-changing requests must carry it as Origin.
	PublicOrigin string
	// OriginAliases are further origins that are this hub too: the loopback
	// aliases of the listen address when no public URL was configured
	// (localhost, 127.0.0.1, [::1]). Nil means PublicOrigin only.
	OriginAliases []string
	// SecureCookies marks cookies Secure and gives them the "__Host-" names.
	SecureCookies bool
	// ClientIP resolves client addresses (nil: RemoteAddr, no proxy trusted).
	ClientIP *httpx.ClientIPResolver
	// RegisterLimit is per client IP (zero: 3 per minute).
	RegisterLimit RateLimit
	// LoginLimit applies per account and per client IP (zero: 5 per 10 s).
	LoginLimit RateLimit
	// RegisterLimiter, LoginIPLimiter and LoginAccountLimiter, when set,
	// replace the in-memory windows that RegisterLimit and LoginLimit
	// describe (those then do not apply): a cluster passes windows shared by
	// every node, e.g. *redislimit.Window built with the Default* numbers,
	// one key prefix each. Keys are the client IP (register, login_ip) and
	// the normalised email (login_account). A limiter error refuses the
	// request with 503 unavailable: these limits fail closed.
	RegisterLimiter     Limiter
	LoginIPLimiter      Limiter
	LoginAccountLimiter Limiter
	// VisitorSessionIPLimit applies to POST /visitor/sessions per client
	// IP, an IPv6 address counted by its /64 (zero: 20 per minute).
	// VisitorSessionWidgetLimit applies per widget (zero: 1000 per hour).
	// Every request that passes basic validation counts, new visitor or
	// resume; Disabled turns a limit off.
	VisitorSessionIPLimit     RateLimit
	VisitorSessionWidgetLimit RateLimit
	// VisitorSessionIPLimiter and VisitorSessionWidgetLimiter, when set,
	// count those two windows cluster-wide (e.g. *redislimit.Window built
	// with the same numbers, one key prefix each; keys are the client IP or
	// its /64, and the widget id). Unlike the sign-in limits these fail
	// open to this node: when one errors, the request is charged to this
	// node's in-memory window with the same numbers, and a warning is
	// logged (at most once a minute per limit, never the key). A Disabled
	// limit ignores its limiter.
	VisitorSessionIPLimiter     Limiter
	VisitorSessionWidgetLimiter Limiter
	// AgentCreateLimit applies to POST /agents per organisation (zero: 30
	// per hour); Disabled turns it off. AgentCreateLimiter, when set,
	// counts it cluster-wide (key: the organisation id), failing open to
	// this node like the visitor-session limits.
	AgentCreateLimit   RateLimit
	AgentCreateLimiter Limiter
	// APIKeyLimiter and APIUserLimiter count the requests of secret API
	// keys (keylimits.go): per key id against the key's rpm, and per
	// owning agent against APIUserRPM across all their keys. Nil means an
	// in-memory window of a minute (this node only); a cluster passes
	// *redislimit.Quota windows (prefixes helpr:rl:apikey and
	// helpr:rl:apiuser). A limiter error refuses the request with 503
	// unavailable: these limits fail closed. APIUserRPM is the per-owner
	// limit per minute (zero: 1200).
	APIKeyLimiter  QuotaLimiter
	APIUserLimiter QuotaLimiter
	APIUserRPM     int
	// Metrics, when set, counts authentication failures by reason
	// (helpr_auth_failures_total) and rate-limit refusals by limit
	// (helpr_rate_limited_total). HTTP request counts are the server's job.
	Metrics *metrics.Helpr
	// Presence answers whether an organisation has an agent online, for the
	// widget config endpoint. Nil means unknown: agents_online is true.
	Presence Presence
	// Mailer queues account-security mail (sign-in links, reset codes,
	// alerts, invitations). Nil: flows that exist to send mail answer 503.
	Mailer Mailer
	// MailLinkAddressLimit applies per address, and MailLinkIPLimit per
	// client IP, to POST /auth/magic-link and POST /auth/password/forgot,
	// each flow counted on its own (zero: 3 per 15 minutes per address, 10
	// per 15 minutes per IP). PasswordResetIPLimit applies to POST
	// /auth/password/reset per client IP (zero: 10 per minute). Disabled
	// turns one off (load tests only).
	MailLinkAddressLimit RateLimit
	MailLinkIPLimit      RateLimit
	PasswordResetIPLimit RateLimit
	// MagicLinkIPLimiter, MagicLinkAddressLimiter, PasswordForgotIPLimiter,
	// PasswordForgotAddressLimiter and PasswordResetIPLimiter, when set,
	// replace those in-memory windows with cluster-wide ones (e.g.
	// *redislimit.Window built with the DefaultMailLink* and
	// DefaultPasswordReset* numbers, one key prefix each). Keys are the
	// client IP (its /64 for IPv6) or the normalised email. They fail
	// closed (503) like the login limiters.
	MagicLinkIPLimiter           Limiter
	MagicLinkAddressLimiter      Limiter
	PasswordForgotIPLimiter      Limiter
	PasswordForgotAddressLimiter Limiter
	PasswordResetIPLimiter       Limiter
	// AllowAgentPasswords lets POST /agents set a new agent's password
	// (helpr serve --load-test-agent-passwords: load tests and test
	// harnesses only). Otherwise agents join by invitation and managers
	// never choose or know anyone else's password.
	AllowAgentPasswords bool
	// Locator tells the approximate location and ISP of client addresses
	// for session lists and sign-in alerts (a *geoip.Reader). Nil: every
	// location and ISP is "unknown".
	Locator Locator
	// Assignments returns an offboarded agent's open conversations to the
	// queue (the hub). Nil: they stay assigned (a warning is logged).
	Assignments Assignments
	// Webhooks is the webhook dispatcher: the API emits the visitor and
	// agent events through it and serves the /webhooks routes with it. Nil:
	// no events are emitted and the /webhooks routes answer 503.
	Webhooks Webhooks
	// WebhookAllowHosts are the host names, IPs and CIDRs an endpoint URL
	// may name although they are internal (--webhook-allow-hosts): the
	// save-time check (webhook.CheckURL) and the dispatcher's dialer use
	// the same list.
	WebhookAllowHosts []string
	// Chat performs chat actions for REST callers (POST
	// /conversations/{id}/messages, /close, /transfer): the hub, so that
	// they are stored, fanned out live and announced like the WebSocket's.
	// Nil: those routes answer 503 unavailable.
	Chat ChatActions
	// KeyMode is the mode of the API keys this server issues and accepts:
	// "live" (also when empty) or "test" (helpr serve --dev). A key of the
	// other mode is refused (invalid_api_key): a leaked staging key is
	// useless in production. New widgets get pk_<mode>_ keys.
	KeyMode string
	// ChatTokens issues and verifies the chat tokens of customers' users
	// (POST /auth/token, the token of POST /visitor/sessions and of the
	// WebSocket). Nil: the token endpoints answer 503 and tokens are
	// refused.
	ChatTokens *security.ChatTokens
	// Dev serves POST /auth/dev-token (helpr serve --dev), which mints chat
	// tokens without a secret key; otherwise that route is 404 and dev
	// tokens are refused.
	Dev bool
}

// RateLimit is a sliding-window limit: at most Limit requests per Window.
// The zero value means the endpoint's default; Disabled turns the limit off
// (load tests only).
type RateLimit struct {
	Limit    int
	Window   time.Duration
	Disabled bool
}

// API serves the REST endpoints. It is safe for concurrent use.
type API struct {
	cfg       Config
	log       zerolog.Logger
	now       func() time.Time
	ip        *httpx.ClientIPResolver
	register  limiter
	loginIP   limiter
	loginUser limiter
	visitorIP limiter               // POST /visitor/sessions per client IP (/64)
	visitorWG limiter               // POST /visitor/sessions per widget
	agentNew  limiter               // POST /agents per organisation
	keyLimits keyLimits             // API-key requests per key and per owner (keylimits.go)
	links     *linkState            // magic links and password reset
	own       []string              // PublicOrigin, then OriginAliases
	refused   *httpx.RefusedOrigins // one warning per refused origin
	outage    outageLog             // store outages met by authentication
	rp        passkeyRP             // the WebAuthn relying party (passkeys_rp.go)
	keyTouch  keyTouches            // last-used writes of API keys, throttled per node (apikeys_auth.go)
	// roleMu serialises role changes and agent erasures so the last-owner
	// check cannot race with another demotion or erasure on this node.
	roleMu sync.Mutex
}

// New validates cfg and returns the API.
func New(cfg Config) (*API, error) {
	switch {
	case cfg.Store == nil:
		return nil, errors.New("api: Config.Store is required")
	case cfg.Sessions == nil:
		return nil, errors.New("api: Config.Sessions is required")
	case cfg.Hasher == nil:
		return nil, errors.New("api: Config.Hasher is required")
	case cfg.KeyMode != "" && cfg.KeyMode != security.KeyModeLive && cfg.KeyMode != security.KeyModeTest:
		return nil, errors.New(`api: Config.KeyMode is "live", "test" or empty`)
	}
	if cfg.Privacy == nil {
		p, ok := cfg.Store.(Privacy)
		if !ok {
			return nil, errors.New("api: Config.Privacy is required (Store does not implement it)")
		}
		cfg.Privacy = p
	}
	if _, err := openAPI(); err != nil { // converted once, at start
		return nil, err
	}
	a := &API{cfg: cfg, log: cfg.Logger, now: cfg.Now, ip: cfg.ClientIP}
	if a.now == nil {
		a.now = time.Now
	}
	a.own = append([]string{cfg.PublicOrigin}, cfg.OriginAliases...)
	a.rp = newPasskeyRP(a.own)
	a.refused = httpx.NewRefusedOrigins(cfg.Logger, a.now)
	a.register = newLimiter("register", cfg.RegisterLimiter, cfg.RegisterLimit,
		RateLimit{Limit: DefaultRegisterLimit, Window: DefaultRegisterWindow}, a.now)
	loginDefault := RateLimit{Limit: DefaultLoginLimit, Window: DefaultLoginWindow}
	a.loginIP = newLimiter("login_ip", cfg.LoginIPLimiter, cfg.LoginLimit, loginDefault, a.now)
	a.loginUser = newLimiter("login_account", cfg.LoginAccountLimiter, cfg.LoginLimit, loginDefault, a.now)
	a.visitorIP = a.newFallbackLimiter(limitVisitorIP, cfg.VisitorSessionIPLimiter, cfg.VisitorSessionIPLimit,
		RateLimit{Limit: DefaultVisitorSessionIPLimit, Window: DefaultVisitorSessionIPWindow})
	a.visitorWG = a.newFallbackLimiter(limitVisitorWidget, cfg.VisitorSessionWidgetLimiter, cfg.VisitorSessionWidgetLimit,
		RateLimit{Limit: DefaultVisitorSessionWidgetLimit, Window: DefaultVisitorSessionWidgetWindow})
	a.agentNew = a.newAgentCreateLimiter(cfg.AgentCreateLimiter, cfg.AgentCreateLimit)
	kl, err := newKeyLimits(cfg, a.now)
	if err != nil {
		return nil, err
	}
	a.keyLimits = kl
	a.links = newLinkState(cfg, a.now)
	return a, nil
}

// Handler returns the HTTP handler serving /rest/v1/.
func (a *API) Handler() http.Handler {
	return a.logRequests(a.newRoutes().mux)
}

// newRoutes returns the router with every route registered.
func (a *API) newRoutes() *router {
	r := newRouter(a)
	a.routes(r)
	return r
}

func (a *API) routes(r *router) {
	r.handle("POST", "/auth/register", a.handleRegister)
	r.handle("POST", "/auth/login", a.handleLogin)
	r.handle("POST", "/auth/refresh", a.handleRefresh)
	r.handle("POST", "/auth/logout", a.authed(a.handleLogout))
	r.handle("GET", "/me", a.authed(a.handleMe))

	r.handle("GET", "/auth/totp", a.authed(a.agentOnly(a.handleTOTPStatus)))
	r.handle("POST", "/auth/totp/setup", a.authed(a.agentOnly(a.handleTOTPSetup)))
	r.handle("POST", "/auth/totp/enable", a.authed(a.agentOnly(a.handleTOTPEnable)))
	r.handle("POST", "/auth/totp/disable", a.authed(a.agentOnly(a.handleTOTPDisable)))
	r.handle("POST", "/auth/backup-codes/regenerate", a.authed(a.agentOnly(a.handleRegenerateBackupCodes)))
	r.handle("POST", "/auth/mfa/verify", a.handleMFAVerify)
	r.handle("POST", "/auth/passkeys/register/begin", a.authed(a.agentOnly(a.handlePasskeyRegisterBegin)))
	r.handle("POST", "/auth/passkeys/register/finish", a.authed(a.agentOnly(a.handlePasskeyRegisterFinish)))
	r.handle("POST", "/auth/passkeys/login/begin", a.handlePasskeyLoginBegin)
	r.handle("POST", "/auth/passkeys/login/finish", a.handlePasskeyLoginFinish)
	r.handle("GET", "/auth/passkeys", a.authed(a.agentOnly(a.handleListPasskeys)))
	r.handle("PATCH", "/auth/passkeys/{id}", a.authed(a.agentOnly(a.handleRenamePasskey)))
	r.handle("DELETE", "/auth/passkeys/{id}", a.authed(a.agentOnly(a.handleDeletePasskey)))

	r.handle("POST", "/agents", a.authed(a.manager(a.handleCreateAgent)))
	r.handle("GET", "/agents", a.authed(a.agentOnly(a.handleListAgents)))
	r.handle("PATCH", "/agents/{id}", a.authed(a.manager(a.handleSetRole)))
	r.handle("DELETE", "/agents/{id}", a.authed(a.manager(a.handleEraseAgent)))

	r.handle("POST", "/widgets", a.authed(a.manager(a.handleCreateWidget)))
	r.handle("GET", "/widgets", a.authed(a.agentOnly(a.handleListWidgets)))
	r.handle("PATCH", "/widgets/{id}", a.authed(a.manager(a.handleUpdateWidget)))
	r.handle("GET", "/widget/config", a.handleWidgetConfig)

	r.handle("POST", "/visitor/sessions", a.handleVisitorSession)
	r.handle("OPTIONS", "/visitor/sessions", a.handleVisitorPreflight)
	r.handle("GET", "/visitor/session", a.handleVisitorProbe)

	r.handle("GET", "/visitors", a.authed(a.agentOnly(a.handleFindVisitors)))
	r.handle("GET", "/visitors/{id}", a.authed(a.agentOnly(a.handleGetVisitor)))
	r.handle("PATCH", "/visitors/{id}", a.authed(a.agentOnly(a.handleUpdateVisitor)))
	r.handle("DELETE", "/visitors/{id}", a.authed(a.manager(a.handleEraseVisitor)))
	r.handle("GET", "/visitors/{id}/export", a.authed(a.manager(a.handleExportVisitor)))

	r.handle("GET", "/conversations", a.authed(a.handleListConversations))
	r.handle("GET", "/conversations/{id}", a.authed(a.handleGetConversation))
	r.handle("GET", "/conversations/{id}/messages", a.authed(a.handleListMessages))
	r.handle("GET", "/conversations/{id}/assignee", a.authed(a.handleGetAssignee))
	r.handle("GET", "/conversations/{id}/agents/{agent_id}", a.authed(a.handleGetConversationAgent))
	r.handle("GET", "/messages/search", a.authed(a.agentOnly(a.handleSearch)))
	a.chatRoutes(r)

	r.handle("GET", "/audit", a.authed(a.manager(a.handleListAudit)))
	r.handle("POST", "/auth/magic-link", a.handleMagicLink)
	r.handle("POST", "/auth/magic-link/consume", a.handleMagicLinkConsume)
	r.handle("POST", "/auth/password/forgot", a.handlePasswordForgot)
	r.handle("POST", "/auth/password/reset", a.handlePasswordReset)
	r.handle("POST", "/me/password", a.authed(a.agentOnly(a.handlePasswordChange)))
	r.handle("POST", "/invitations", a.authed(a.manager(a.handleCreateInvitation)))
	r.handle("GET", "/invitations", a.authed(a.manager(a.handleListInvitations)))
	r.handle("DELETE", "/invitations/{id}", a.authed(a.manager(a.handleRevokeInvitation)))
	r.handle("POST", "/invitations/accept", a.handleAcceptInvitation)
	a.sessionRoutes(r)
	a.webhookRoutes(r)
	a.apiKeyRoutes(r)
	a.chatTokenRoutes(r)
	a.openAPIRoutes(r)
	r.fallback()
}

func (a *API) clientIP(r *http.Request) string { return a.ip.ClientIP(r) }

// nowMs is the clock truncated to the millisecond, the storage precision.
func (a *API) nowMs() time.Time { return a.now().UTC().Truncate(time.Millisecond) }
