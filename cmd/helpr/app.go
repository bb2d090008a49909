package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpr-chat/helpr/hub"
	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/security/geoip"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/api"
	"github.com/helpr-chat/helpr/transport/httpx"
	"github.com/helpr-chat/helpr/transport/mail"
	"github.com/helpr-chat/helpr/transport/webhook"
	"github.com/helpr-chat/helpr/transport/ws"
)

// sweepInterval is how often expired token hashes are deleted.
const sweepInterval = 10 * time.Minute

// app is one running helpr node: its store, services and HTTP handler.
type app struct {
	cfg      Config
	log      zerolog.Logger
	store    storage.Store         // the raw backend: health checks, sweeping, closing
	sealed   *security.SealedStore // the PII-sealing view every service gets
	cluster  *cluster              // nil on a single node
	sessions *security.Sessions
	hub      *hub.Hub
	ws       *ws.Server
	handler  http.Handler
	metrics  http.Handler        // Prometheus text of this node, for the metrics listener
	rest     *api.API            // waited for on shutdown (mail requests answered, still being handled)
	mailer   *mail.Queue         // outgoing mail: its worker runs while the app serves
	hooks    *webhook.Dispatcher // webhook deliveries: its workers run while the app serves
	relay    *webhookRelay       // hub notices to hooks, drained while the app serves
	unhook   func()              // ends the cluster's webhook cache invalidations
	geo      *geoip.Reader       // nil without GeoIP databases
}

// newApp opens the embedded store under cfg.DataDir and wires every part.
// The caller must call close.
func newApp(ctx context.Context, cfg Config, log zerolog.Logger) (*app, error) {
	if err := os.MkdirAll(filepath.Join(cfg.DataDir, "secrets"), 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	store, err := openStore(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	keyring, err := openKeyring(ctx, cfg, log, store)
	if err != nil {
		_ = store.Close()
		return nil, err
	}
	cipher, err := security.NewFieldCipher(keyring)
	if err != nil {
		_ = store.Close()
		return nil, fmt.Errorf("keyring: %w", err)
	}
	cl, err := joinCluster(ctx, cfg, log)
	if err != nil {
		_ = store.Close()
		return nil, err
	}
	// Chat tokens are signed with a key derived from the keyring's pii key,
	// so every node sharing the keyring signs and verifies alike; iss is
	// the public origin.
	chat, err := security.NewChatTokens(keyring, ownOrigins(cfg)[0], cfg.now)
	if err != nil {
		_ = cl.close()
		_ = store.Close()
		return nil, fmt.Errorf("chat tokens: %w", err)
	}
	a, err := assemble(cfg, log, store, security.NewSealedStore(store, cipher), cipher, cl, chat)
	if err != nil {
		_ = cl.close()
		_ = store.Close()
		return nil, err
	}
	return a, nil
}

// assemble builds the services on an open store. Every service sees only
// the sealed view, which encrypts PII before it reaches the backend; the raw
// store is kept for health checks, sweeping and closing. sealer seals the
// refresh successors kept for the grace window (the keyring's FieldCipher).
func assemble(cfg Config, log zerolog.Logger, raw storage.Store, store *security.SealedStore, sealer security.SuccessorSealer, cl *cluster, chat *security.ChatTokens) (*app, error) {
	own := ownOrigins(cfg) // the public origin (validated with the config), then its aliases
	origin, aliases := own[0], own[1:]
	secure := origin[:5] == "https"
	reg, m := newMetrics(raw)
	sessions, err := security.NewSessions(security.SessionsConfig{
		Store: store, Sealer: sealer, Now: cfg.now, CacheMaxAge: cl.cacheMaxAge(),
	})
	if err != nil {
		return nil, fmt.Errorf("sessions: %w", err)
	}
	if err := cl.relayRevocations(sessions); err != nil {
		return nil, err
	}
	hasher, err := security.NewHasher(security.HasherConfig{})
	if err != nil {
		return nil, fmt.Errorf("password hasher: %w", err)
	}
	relay := newWebhookRelay(log, reg)
	hubOpts := cl.hubOptions(cfg.now)
	hubOpts.Notify = relay.notify
	hubOpts.Observer = m
	h := hub.New(store, ws.Codec{}, hubOpts)
	lim, err := cfg.Limits.resolve()
	if err != nil {
		return nil, err
	}
	lim.warnOff(log)
	caps, err := cfg.Limits.connCaps()
	if err != nil {
		return nil, err
	}
	caps.warnOff(log)
	mailer, err := newMailer(cfg, log, store)
	if err != nil {
		return nil, err
	}
	hooks, err := newDispatcher(cfg, log, store, mailer, reg, origin)
	if err != nil {
		return nil, err
	}
	relay.d = hooks
	apiHooks, unhook, err := cl.webhooks(hooks)
	if err != nil {
		return nil, err
	}
	sharedVisitorIP, sharedVisitorWidget, sharedConversations := cl.abuseLimiters(lim, cfg.now)
	wcfg := ws.Config{
		Hub: h, Sessions: sessions, Directory: store,
		PublicOrigin: origin, OriginAliases: aliases, SecureCookies: secure,
		Logger: log, Metrics: m, Now: cfg.now,
		FrameRate: cfg.FrameRate, FrameBurst: cfg.FrameBurst,
		ConversationLimit: lim.conversations.ws(), ConversationLimiter: sharedConversations,
		ConnsPerIP: caps.perIP, ConnsPerSubject: caps.perSubject, ClientIP: httpx.NewClientIPResolver(cfg.TrustedProxies),
	}
	geo, err := geoip.Open(cfg.GeoIPCityDB, cfg.GeoIPASNDB)
	if err != nil {
		return nil, fmt.Errorf("--geoip-city-db / --geoip-asn-db: %w", err)
	}
	register, loginIP, loginAccount := cl.limiters(cfg.now)
	apiKeyQuota, apiUserQuota := cl.apiQuotas(cfg.now)
	links := cl.linkLimiters(cfg.now)
	off := api.RateLimit{Disabled: cfg.NoAuthLimits}
	if cfg.NoAuthLimits {
		register, loginIP, loginAccount, links = nil, nil, nil, linkLimiters{}
		log.Warn().Msg("login and registration rate limits are OFF (--no-auth-rate-limits): load tests only")
	}
	if cfg.Dev {
		log.Warn().Msg("development mode (--dev): test-mode keys only, and POST /rest/v1/auth/dev-token mints chat tokens without a secret; never in production")
	}
	if cfg.LoadTestAgentPasswords {
		log.Warn().Msg("managers can set agents' passwords (--load-test-agent-passwords): load tests only")
	}
	rest, err := api.New(api.Config{
		MailLinkAddressLimit: off, MailLinkIPLimit: off, PasswordResetIPLimit: off,
		MagicLinkIPLimiter: links.magicIP, MagicLinkAddressLimiter: links.magicAddress,
		PasswordForgotIPLimiter: links.forgotIP, PasswordForgotAddressLimiter: links.forgotAddress,
		PasswordResetIPLimiter: links.resetIP, AllowAgentPasswords: cfg.LoadTestAgentPasswords,
		RegisterLimiter: register, LoginIPLimiter: loginIP, LoginAccountLimiter: loginAccount,
		RegisterLimit: off, LoginLimit: off,
		VisitorSessionIPLimit: lim.visitorIP.api(), VisitorSessionIPLimiter: sharedVisitorIP,
		VisitorSessionWidgetLimit: lim.visitorWidget.api(), VisitorSessionWidgetLimiter: sharedVisitorWidget,
		AgentCreateLimit: lim.agentCreations.api(), AgentCreateLimiter: cl.agentCreateLimiter(lim, cfg.now),
		APIKeyLimiter: apiKeyQuota, APIUserLimiter: apiUserQuota, APIUserRPM: cfg.APIUserRPM,
		Store: store, Sessions: sessions, Hasher: hasher, Logger: log, Now: cfg.now,
		PublicOrigin: origin, OriginAliases: aliases, SecureCookies: secure,
		ClientIP: httpx.NewClientIPResolver(cfg.TrustedProxies), Metrics: m,
		Privacy: store, Presence: hubPresence{h}, Mailer: mailer,
		Locator: geo, Assignments: hubAssignments{h},
		Chat:       h, // REST chat actions (transport/api/chat_actions.go) go through the hub
		ChatTokens: chat, Dev: cfg.Dev,
		KeyMode:  apiKeyMode(cfg.Dev),
		Webhooks: apiHooks, WebhookAllowHosts: cfg.WebhookAllowHosts,
	})
	if err != nil {
		unhook()
		_ = geo.Close()
		return nil, fmt.Errorf("rest api: %w", err)
	}
	wcfg.ChatSessions = rest // chat tokens on the socket: the same checks as POST /visitor/sessions
	if cfg.wsTweak != nil {
		cfg.wsTweak(&wcfg)
	}
	wsrv := ws.NewServer(wcfg)
	a := &app{cfg: cfg, log: log, store: raw, sealed: store, cluster: cl, sessions: sessions, hub: h, ws: wsrv,
		metrics: reg.Handler(), rest: rest, mailer: mailer, geo: geo, hooks: hooks, relay: relay, unhook: unhook}
	metricsToken, err := loadMetricsToken(cfg.MetricsTokenFile)
	if err != nil {
		unhook()
		_ = geo.Close()
		return nil, err
	}
	a.handler = a.routes(rest.Handler(), a.metrics, metricsToken, m)
	return a, nil
}

// hubPresence tells the REST API whether an organisation has an agent
// online, from the hub's (cluster-wide) presence.
type hubPresence struct{ h *hub.Hub }

var _ api.Presence = hubPresence{}

// AgentsOnline reports whether any agent of orgID has status online.
func (p hubPresence) AgentsOnline(orgID string) bool {
	for _, a := range p.h.Presence(orgID) {
		if a.SubjectKind == storage.SubjectAgent && a.Status == hub.PresenceOnline {
			return true
		}
	}
	return false
}

// serve answers on ln until ctx ends, then shuts down gracefully: it stops
// accepting, tells WebSocket clients to reconnect, drains their writers and
// waits for in-flight requests. Every acked message is already durable.
func (a *app) serve(ctx context.Context, ln net.Listener) error {
	srv := newHTTPServer(a.handler, a.cfg.httpTimeouts)
	if a.cfg.TLSCert != "" {
		srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); a.sweep(ctx) }()
	// The mail worker outlives the HTTP drain, so mail queued by requests
	// finishing during shutdown still goes out; what is unsent when it
	// stops stays queued for the next start (or another node).
	mailCtx, stopMail := context.WithCancel(context.WithoutCancel(ctx))
	defer stopMail()
	wg.Add(1)
	go func() { defer wg.Done(); _ = a.mailer.Run(mailCtx) }()
	// Webhooks likewise: the relay stores the notices of chat actions that
	// finish during the drain (then flushes its buffer), and the
	// dispatcher sends until then; unsent deliveries stay queued for the
	// next start (or another node).
	wg.Add(2)
	go func() { defer wg.Done(); a.relay.run(mailCtx) }()
	go func() { defer wg.Done(); a.hooks.Run(mailCtx) }()
	errc := make(chan error, 1)
	go func() {
		if a.cfg.TLSCert != "" {
			errc <- srv.ServeTLS(ln, a.cfg.TLSCert, a.cfg.TLSKey)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	a.log.Info().Str("addr", ln.Addr().String()).Str("public_url", a.cfg.PublicURL).Msg("helpr serving")
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	sctx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	defer cancel()
	a.log.Info().Msg("shutting down")
	errs := []error{ignoreClosed(serveErr)}
	var sw sync.WaitGroup
	sw.Add(1)
	go func() { defer sw.Done(); errs = append(errs, a.ws.Shutdown(sctx)) }()
	httpErr := srv.Shutdown(sctx)
	sw.Wait()
	stopMail()
	wg.Wait()
	a.rest.Wait() // sign-in links and reset codes already answered 202 get queued
	errs = append(errs, ignoreClosed(httpErr))
	return errors.Join(errs...)
}

func ignoreClosed(err error) error {
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// sweep deletes expired token hashes and one-time tokens, and mail sent
// or given up more than mailRetention ago, periodically
// until ctx ends.
func (a *app) sweep(ctx context.Context) {
	t := time.NewTicker(sweepInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			a.sweepOnce(ctx, time.Now())
		}
	}
}

// sweepOnce deletes what expired before now, logging counts only.
func (a *app) sweepOnce(ctx context.Context, now time.Time) {
	if n, err := a.store.DeleteExpiredTokens(ctx, now); err != nil {
		a.log.Warn().Err(err).Msg("sweep expired tokens")
	} else {
		a.log.Debug().Int("deleted", n).Msg("swept expired tokens")
	}
	if n, err := a.store.DeleteExpiredOneTime(ctx, now); err != nil {
		a.log.Warn().Err(err).Msg("sweep expired one-time tokens")
	} else {
		a.log.Debug().Int("deleted", n).Msg("swept expired one-time tokens")
	}
	if n, err := a.store.DeleteDoneMail(ctx, now.Add(-mailRetention)); err != nil {
		a.log.Warn().Err(err).Msg("sweep sent mail")
	} else {
		a.log.Debug().Int("deleted", n).Msg("swept sent mail")
	}
}

// close releases the cluster connections, the store and the GeoIP
// databases, after the last activity writes.
func (a *app) close() error {
	a.sessions.WaitActivity()
	a.unhook()
	return errors.Join(a.cluster.close(), a.store.Close(), a.geo.Close())
}

// serve runs helpr with cfg until ctx ends. It claims the pid file and
// takes its ports before it creates or opens anything under the data
// directory, so a taken port leaves a new data directory untouched.
func serve(ctx context.Context, cfg Config, logOut io.Writer) error {
	log, err := newLogger(cfg, logOut)
	if err != nil {
		return err
	}
	cfg = applyClockOffset(cfg, log)
	pid, err := claimPIDFile(cfg.PIDFile)
	if err != nil {
		return err
	}
	ls, err := listen(cfg)
	if err != nil {
		return err
	}
	a, err := newApp(ctx, cfg, log)
	if err != nil {
		ls.close()
		return err
	}
	defer a.close()
	if ls.pprof != nil {
		defer servePprof(ls.pprof, log, cfg.httpTimeouts)()
	}
	if ls.metrics != nil {
		defer serveMetrics(ls.metrics, a.metrics, log)()
	}
	if err := pid.write(); err != nil {
		ls.close()
		return err
	}
	defer pid.remove()
	return a.serve(ctx, ls.http)
}

// listeners are the sockets helpr serves on.
type listeners struct {
	http  net.Listener
	pprof net.Listener // nil without --pprof-addr
	// metrics is nil with --metrics-addr off.
	metrics net.Listener
}

// listen opens the public listener and, with --pprof-addr, the profiles'.
func listen(cfg Config) (*listeners, error) {
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("--addr: %w", err)
	}
	ls := &listeners{http: ln}
	if cfg.PprofAddr != "" {
		if ls.pprof, err = net.Listen("tcp", cfg.PprofAddr); err != nil {
			ls.close()
			return nil, fmt.Errorf("--pprof-addr: %w", err)
		}
	}
	if metricsListenerOn(cfg.MetricsAddr) {
		if ls.metrics, err = net.Listen("tcp", cfg.MetricsAddr); err != nil {
			ls.close()
			return nil, fmt.Errorf("--metrics-addr (another node on this machine needs another port, or off): %w", err)
		}
	}
	return ls, nil
}

// close closes every listener (before serving starts).
func (l *listeners) close() {
	_ = l.http.Close()
	if l.pprof != nil {
		_ = l.pprof.Close()
	}
	if l.metrics != nil {
		_ = l.metrics.Close()
	}
}

// apiKeyMode is the API key mode of a server: "test" with --dev, else
// "live" (a key of the other mode is refused).
func apiKeyMode(dev bool) string {
	if dev {
		return "test"
	}
	return "live"
}
