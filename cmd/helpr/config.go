package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/helpr-chat/helpr/transport/webhook"
	"github.com/helpr-chat/helpr/transport/ws"
)

// Config is everything `helpr serve` can be told. The zero value of each
// field means its documented default (see defaults).
type Config struct {
	Addr            string         // listen address; default 127.0.0.1:8080
	DataDir         string         // embedded store and secrets; default ./data
	PublicURL       string         // the origin browsers see; default http://<addr>
	LogFormat       string         // json (default) or console
	LogLevel        string         // debug, info (default), warn, error
	TLSCert         string         // serve HTTPS with this certificate…
	TLSKey          string         // …and key (TLS 1.2+)
	TrustedProxies  []netip.Prefix // proxies whose X-Forwarded-For is believed
	FrameRate       float64        // WebSocket frames per second per connection; default 20
	FrameBurst      int            // WebSocket frame burst; default 40
	ShutdownTimeout time.Duration  // graceful shutdown bound; default 15s
	KeyringFile     string         // encryption keyring; default <data-dir>/secrets/keyring.json
	KeyringJSON     string         // the keyring itself, from HELPR_KEYRING (never a flag)
	Store           string         // sqlite (default) or mongo
	MongoURI        string         // MongoDB connection string (with --store mongo)
	MongoDatabase   string         // MongoDB database; default helpr
	RedisURL        string         // Redis for pub/sub, shared limits and invalidation (several nodes)
	NodeID          string         // this node's name in a cluster; default random
	NoAuthLimits    bool           // turn login/registration rate limits off (load tests only)
	// LoadTestAgentPasswords lets POST /agents set passwords (load tests
	// and test harnesses only; agents otherwise join by invitation).
	LoadTestAgentPasswords bool
	// Dev is development mode (--dev): the server issues and accepts
	// test-mode API keys (sk_test_/pk_test_) and refuses live ones, and
	// serves POST /rest/v1/auth/dev-token (chat tokens without a secret).
	Dev       bool
	Limits    AbuseLimits // visitor-session and conversation limits (limits.go)
	PprofAddr string      // serve net/http/pprof here (loopback only); "" = off
	PIDFile   string      // write the pid here while serving; "" = none
	// Metrics (metrics_listener.go): their own listener, and/or the main
	// listener behind a bearer token.
	MetricsAddr      string // serve /metrics here; default 127.0.0.1:9464, "off" = none
	MetricsTokenFile string // serve /metrics on the main listener to this bearer token; "" = 404 there
	// GeoIP (session lists, sign-in alerts): optional MaxMind-format
	// databases; without them location and ISP are "unknown".
	GeoIPCityDB string // City database (.mmdb), e.g. GeoLite2-City
	GeoIPASNDB  string // ASN database (.mmdb), e.g. GeoLite2-ASN

	// Mail is where outgoing mail goes (mail.go).
	Mail MailConfig
	// WebhookAllowHosts are host names, IPs and CIDRs webhook endpoints may
	// reach although internal (--webhook-allow-hosts, webhooks.go).
	WebhookAllowHosts []string

	// APIUserRPM is --api-user-rpm: API requests per minute of one secret
	// key owner across all their keys; 0 means 1200 (limits.go).
	APIUserRPM int

	// Test seams, not configurable by users: the clock of every TTL and
	// window, adjustments of WebSocket limits, the HTTP servers' timeouts.
	now          func() time.Time
	wsTweak      func(*ws.Config)
	httpTimeouts httpTimeouts  // zero: the defaults (httpserver.go)
	clockOffset  time.Duration // HELPR_CLOCK_OFFSET, a fault-testing knob (clockoffset.go)
	// webhookTweak adjusts the dispatcher's config (tests: backoff, poll).
	webhookTweak func(*webhook.Config)
}

// defaults fills the zero fields.
func (c *Config) defaults() {
	if c.Addr == "" {
		c.Addr = "127.0.0.1:8080"
	}
	if c.DataDir == "" {
		c.DataDir = "./data"
	}
	if c.PublicURL == "" {
		c.PublicURL = defaultPublicURL(c.Addr, c.TLSCert != "")
	}
	if c.LogFormat == "" {
		c.LogFormat = "json"
	}
	if c.LogLevel == "" {
		c.LogLevel = "info"
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = 15 * time.Second
	}
	if c.Store == "" {
		c.Store = "sqlite"
	}
	if c.MongoDatabase == "" {
		c.MongoDatabase = "helpr"
	}
	if c.MetricsAddr == "" {
		c.MetricsAddr = defaultMetricsAddr
	}
	c.Mail.defaults(c.PublicURL)
}

func defaultPublicURL(addr string, tls bool) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return ""
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	scheme := "http"
	if tls {
		scheme = "https"
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}

// validate reports every problem at once, each naming its flag.
func (c *Config) validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("--addr %q: want host:port", c.Addr))
	}
	// An empty public URL was derived from a bad --addr, already reported.
	if _, err := publicOrigin(c.PublicURL); err != nil && c.PublicURL != "" {
		errs = append(errs, fmt.Errorf("--public-url %q: %v", c.PublicURL, err))
	}
	if c.LogFormat != "json" && c.LogFormat != "console" {
		errs = append(errs, fmt.Errorf("--log-format %q: want json or console", c.LogFormat))
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		errs = append(errs, errors.New("--tls-cert and --tls-key go together"))
	}
	if c.FrameRate < 0 || c.FrameBurst < 0 {
		errs = append(errs, errors.New("--ws-frame-rate and --ws-frame-burst must not be negative"))
	}
	if c.ShutdownTimeout < 0 {
		errs = append(errs, errors.New("--shutdown-timeout must not be negative"))
	}
	switch {
	case c.Store != "sqlite" && c.Store != "mongo":
		errs = append(errs, fmt.Errorf("--store %q: want sqlite or mongo", c.Store))
	case c.Store == "mongo" && c.MongoURI == "":
		errs = append(errs, errors.New("--store mongo needs --mongo-uri"))
	}
	if c.PprofAddr != "" && !loopbackAddr(c.PprofAddr) {
		errs = append(errs, fmt.Errorf("--pprof-addr %q: profiles are served on a loopback address only", c.PprofAddr))
	}
	if err := validMetricsAddr(c.MetricsAddr); err != nil {
		errs = append(errs, err)
	}
	if c.RedisURL != "" {
		if u, err := url.Parse(c.RedisURL); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") {
			errs = append(errs, fmt.Errorf("--redis-url: want redis://host:port/db or rediss://…"))
		}
	}
	if _, err := c.Limits.resolve(); err != nil {
		errs = append(errs, err)
	}
	if err := validAPIUserRPM(c.APIUserRPM); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, c.Mail.validate()...)
	return errors.Join(errs...)
}

// loopbackAddr reports whether addr is host:port on a loopback IP.
func loopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// publicOrigin checks that u is a bare origin (scheme://host[:port]) and
// returns it without a trailing slash.
func publicOrigin(u string) (string, error) {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return "", errors.New("want an origin such as https://chat.example.com")
	}
	if (p.Path != "" && p.Path != "/") || p.RawQuery != "" || p.Fragment != "" || p.User != nil {
		return "", errors.New("an origin has no path, query, fragment or user info")
	}
	return p.Scheme + "://" + p.Host, nil
}

// parseServeFlags reads flags, then HELPR_* environment variables for every
// flag not given on the command line (flags win over the environment). It
// returns flag.ErrHelp for -h, -help and --help.
func parseServeFlags(args []string, getenv func(string) string) (Config, error) {
	var c Config
	fs := serveFlagSet(&c)
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err := applyEnv(fs, getenv); err != nil {
		return c, err
	}
	c.KeyringJSON = getenv("HELPR_KEYRING")
	off, err := parseClockOffset(getenv(clockOffsetEnv))
	if err != nil {
		return c, err
	}
	c.clockOffset = off
	c.defaults()
	return c, c.validate()
}

// serveFlagSet declares every flag of `helpr serve` on c. Each flag's
// environment variable is envName of it, and its --help group is in
// flagGroups; defaults computed at start are in derivedDefaults.
func serveFlagSet(c *Config) *flag.FlagSet {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // run prints errors and help itself
	fs.StringVar(&c.Addr, "addr", "127.0.0.1:8080", "the `host:port` to listen on")
	storeFlags(fs, c)
	fs.StringVar(&c.PublicURL, "public-url", "", "the `origin` browsers use, e.g. https://chat.example.com")
	fs.StringVar(&c.LogFormat, "log-format", "json", "json or console")
	fs.StringVar(&c.LogLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&c.TLSCert, "tls-cert", "", "serve HTTPS with this certificate `file` (TLS 1.2+)")
	fs.StringVar(&c.TLSKey, "tls-key", "", "the TLS key `file`")
	fs.Func("trusted-proxies", "comma-separated `CIDRs` of reverse proxies whose X-Forwarded-For is believed", func(v string) error {
		p, err := parsePrefixes(v)
		c.TrustedProxies = p
		return err
	})
	fs.Float64Var(&c.FrameRate, "ws-frame-rate", 20, "WebSocket frames per second per connection")
	fs.IntVar(&c.FrameBurst, "ws-frame-burst", 40, "WebSocket frame burst per connection")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 15*time.Second, "graceful shutdown bound")
	fs.StringVar(&c.RedisURL, "redis-url", "", "Redis `URL` for several nodes: pub/sub, shared rate limits, session invalidation")
	fs.BoolVar(&c.NoAuthLimits, "no-auth-rate-limits", false, "turn login and registration rate limits off — for load tests only, never in production")
	fs.BoolVar(&c.LoadTestAgentPasswords, "load-test-agent-passwords", false,
		"let owners and admins create agents with a password (POST /agents) — for load tests only; agents otherwise join by invitation")
	fs.BoolVar(&c.Dev, "dev", false,
		"development mode: issue and accept only test-mode API keys (sk_test_, pk_test_) and serve POST /rest/v1/auth/dev-token (chat tokens without a secret); never in production")
	abuseLimitFlags(fs, &c.Limits)
	apiLimitFlags(fs, c)
	mailFlags(fs, &c.Mail)
	webhookFlags(fs, c)
	fs.StringVar(&c.PprofAddr, "pprof-addr", "", "serve Go profiles (net/http/pprof) on this loopback `host:port`, e.g. 127.0.0.1:6060")
	fs.StringVar(&c.PIDFile, "pid-file", "", "write the server's pid to this `file` once it listens; removed on exit")
	fs.StringVar(&c.NodeID, "node-id", "", "this node's `name` in a cluster")
	fs.StringVar(&c.GeoIPCityDB, "geoip-city-db", "", "MaxMind-format City database `file` (e.g. GeoLite2-City.mmdb) for session locations; none: unknown")
	fs.StringVar(&c.GeoIPASNDB, "geoip-asn-db", "", "MaxMind-format ASN database `file` (e.g. GeoLite2-ASN.mmdb) for session ISPs; none: unknown")
	fs.StringVar(&c.MetricsAddr, "metrics-addr", defaultMetricsAddr,
		"serve Prometheus /metrics on this `host:port` (its own listener), or off; a second node on one machine needs another port or off")
	fs.StringVar(&c.MetricsTokenFile, "metrics-token-file", "",
		"also serve /metrics on the main listener to requests with this bearer token (`file`, mode 0600); without it /metrics there is 404")
	return fs
}

// derivedDefaults are the defaults --help shows for flags whose default is
// computed at start rather than fixed.
var derivedDefaults = map[string]string{
	"public-url":   "http://<addr>",
	"node-id":      "random",
	"keyring-file": "<data-dir>/secrets/keyring.json",
	"mail-from":    "helpr <no-reply@HOST of --public-url>",
}

// storeFlags declares the flags that locate the data: shared by serve and
// the offline subcommands.
func storeFlags(fs *flag.FlagSet, c *Config) {
	fs.StringVar(&c.DataDir, "data-dir", "./data", "`directory` of the embedded store and secrets")
	fs.StringVar(&c.Store, "store", "sqlite", "storage backend: sqlite (embedded) or mongo")
	fs.StringVar(&c.MongoURI, "mongo-uri", "", "MongoDB connection `URI`, with --store mongo")
	fs.StringVar(&c.MongoDatabase, "mongo-db", "helpr", "MongoDB database `name`")
	fs.StringVar(&c.KeyringFile, "keyring-file", "", "encryption keyring `file`, mode 0600 (HELPR_KEYRING may hold the keyring JSON instead)")
}

// applyEnv sets each flag not given on the command line from HELPR_<NAME>.
func applyEnv(fs *flag.FlagSet, getenv func(string) string) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		env := envName(f.Name)
		v := getenv(env)
		if given[f.Name] || v == "" {
			return
		}
		if err := fs.Set(f.Name, v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", env, err))
		}
	})
	return errors.Join(errs...)
}

// envName is the environment variable of a flag: HELPR_ and the flag's
// name in upper case with underscores.
func envName(flagName string) string {
	return "HELPR_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func parsePrefixes(v string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range strings.Split(v, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return nil, fmt.Errorf("%q is not a CIDR or address", s)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p)
	}
	return out, nil
}
