package main

import (
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpr-chat/helpr/security/redislimit"
	"github.com/helpr-chat/helpr/transport/api"
	"github.com/helpr-chat/helpr/transport/ws"
)

// AbuseLimits are the limits on what anyone holding a public publishable
// key can create, each "N/DURATION" (N events in any window of DURATION, a
// Go duration in whole seconds) or "off". "" means the default. They are
// not affected by --no-auth-rate-limits.
type AbuseLimits struct {
	VisitorSessionsPerIP     string // POST /rest/v1/visitor/sessions per client IP (IPv6: /64); default 20/1m
	VisitorSessionsPerWidget string // the same per widget; default 1000/1h
	ConversationsPerVisitor  string // conversation.start per visitor; default 10/1h
	// AgentCreationsPerOrg is POST /rest/v1/agents per organisation (by
	// its owners and admins); default 30/1h.
	AgentCreationsPerOrg string

	// Caps on open WebSocket connections on this node, each "N" or "off".
	WSConnsPerIP      string // per client IP (IPv6: /64); default 200
	WSConnsPerSubject string // per visitor or agent; default 20
}

// Defaults of AbuseLimits (the same numbers as api's and ws's defaults;
// TestAbuseLimitDefaultsMatchThePackages keeps them so).
const (
	defaultVisitorSessionsPerIP     = "20/1m"
	defaultVisitorSessionsPerWidget = "1000/1h"
	defaultConversationsPerVisitor  = "10/1h"
	defaultAgentCreationsPerOrg     = "30/1h"
	defaultWSConnsPerIP             = "200"
	defaultWSConnsPerSubject        = "20"
)

// Bounds of a limit's value: a longer window or a larger count would make
// each check scan more per-second counts than is reasonable.
const (
	maxLimitCount  = 1_000_000
	maxLimitWindow = 24 * time.Hour
)

// abuseLimitFlags declares the flags of l.
func abuseLimitFlags(fs *flag.FlagSet, l *AbuseLimits) {
	fs.StringVar(&l.VisitorSessionsPerIP, "visitor-sessions-per-ip", defaultVisitorSessionsPerIP,
		"visitor sessions per client IP (IPv6 by /64): `N/DURATION` or off")
	fs.StringVar(&l.VisitorSessionsPerWidget, "visitor-sessions-per-widget", defaultVisitorSessionsPerWidget,
		"visitor sessions per widget: `N/DURATION` or off")
	fs.StringVar(&l.ConversationsPerVisitor, "conversations-per-visitor", defaultConversationsPerVisitor,
		"new conversations per visitor: `N/DURATION` or off")
	fs.StringVar(&l.AgentCreationsPerOrg, "agent-creations-per-org", defaultAgentCreationsPerOrg,
		"agents an organisation's owners and admins may create: `N/DURATION` or off")
	fs.StringVar(&l.WSConnsPerIP, "ws-conns-per-ip", defaultWSConnsPerIP,
		"open WebSocket connections per client IP (IPv6 by /64) on this node: `N` or off")
	fs.StringVar(&l.WSConnsPerSubject, "ws-conns-per-subject", defaultWSConnsPerSubject,
		"open WebSocket connections per visitor or agent on this node: `N` or off")
}

// rate is one parsed limit.
type rate struct {
	n      int
	window time.Duration
	off    bool
}

// api returns r for transport/api.
func (r rate) api() api.RateLimit {
	return api.RateLimit{Limit: r.n, Window: r.window, Disabled: r.off}
}

// ws returns r for transport/ws.
func (r rate) ws() ws.RateLimit { return ws.RateLimit{Limit: r.n, Window: r.window, Disabled: r.off} }

// abuseLimits is AbuseLimits parsed.
type abuseLimits struct {
	visitorIP, visitorWidget, conversations, agentCreations rate
}

// resolve parses every limit, reporting each bad one with its flag.
func (l AbuseLimits) resolve() (abuseLimits, error) {
	var out abuseLimits
	var errs []error
	for _, f := range []struct {
		flag, value, def string
		dst              *rate
	}{
		{"--visitor-sessions-per-ip", l.VisitorSessionsPerIP, defaultVisitorSessionsPerIP, &out.visitorIP},
		{"--visitor-sessions-per-widget", l.VisitorSessionsPerWidget, defaultVisitorSessionsPerWidget, &out.visitorWidget},
		{"--conversations-per-visitor", l.ConversationsPerVisitor, defaultConversationsPerVisitor, &out.conversations},
		{"--agent-creations-per-org", l.AgentCreationsPerOrg, defaultAgentCreationsPerOrg, &out.agentCreations},
	} {
		if f.value == "" {
			f.value = f.def
		}
		r, err := parseRate(f.value)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s %q: %w", f.flag, f.value, err))
		}
		*f.dst = r
	}
	if _, err := l.connCaps(); err != nil {
		errs = append(errs, err)
	}
	return out, errors.Join(errs...)
}

// connCaps are the WebSocket connection caps for ws.Config: a count, or
// ws.NoCap when off.
type connCaps struct {
	perIP, perSubject int
}

// connCaps parses the connection caps, reporting each bad one with its
// flag.
func (l AbuseLimits) connCaps() (connCaps, error) {
	var out connCaps
	var errs []error
	for _, f := range []struct {
		flag, value, def string
		dst              *int
	}{
		{"--ws-conns-per-ip", l.WSConnsPerIP, defaultWSConnsPerIP, &out.perIP},
		{"--ws-conns-per-subject", l.WSConnsPerSubject, defaultWSConnsPerSubject, &out.perSubject},
	} {
		if f.value == "" {
			f.value = f.def
		}
		n, err := parseCap(f.value)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s %q: %w", f.flag, f.value, err))
		}
		*f.dst = n
	}
	return out, errors.Join(errs...)
}

var errCapSyntax = errors.New("want N, a count from 1 to 1000000, or off")

// parseCap parses "N" or "off" (ws.NoCap).
func parseCap(v string) (int, error) {
	v = strings.TrimSpace(v)
	if strings.EqualFold(v, "off") {
		return ws.NoCap, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxLimitCount {
		return 0, errCapSyntax
	}
	return n, nil
}

// warnOff logs each cap that is off.
func (c connCaps) warnOff(log zerolog.Logger) {
	for _, f := range []struct {
		flag string
		n    int
	}{{"--ws-conns-per-ip", c.perIP}, {"--ws-conns-per-subject", c.perSubject}} {
		if f.n == ws.NoCap {
			log.Warn().Str("flag", f.flag).Msg("WebSocket connection cap is OFF: load tests only")
		}
	}
}

var errRateSyntax = errors.New("want N/DURATION, e.g. 20/1m (N from 1 to 1000000, DURATION in whole seconds from 1s to 24h), or off")

// parseRate parses "N/DURATION" or "off".
func parseRate(v string) (rate, error) {
	v = strings.TrimSpace(v)
	if strings.EqualFold(v, "off") {
		return rate{off: true}, nil
	}
	count, window, ok := strings.Cut(v, "/")
	if !ok {
		return rate{}, errRateSyntax
	}
	n, err := strconv.Atoi(count)
	if err != nil || n < 1 || n > maxLimitCount {
		return rate{}, errRateSyntax
	}
	d, err := time.ParseDuration(window)
	if err != nil || d < time.Second || d > maxLimitWindow || d%time.Second != 0 {
		return rate{}, errRateSyntax
	}
	return rate{n: n, window: d}, nil
}

// warnOff logs each limit that is off: they guard against anyone holding a
// public key creating unbounded visitors and conversations, and against a
// tenant's managers creating unbounded agents.
func (l abuseLimits) warnOff(log zerolog.Logger) {
	for _, f := range []struct {
		flag string
		r    rate
	}{
		{"--visitor-sessions-per-ip", l.visitorIP},
		{"--visitor-sessions-per-widget", l.visitorWidget},
		{"--conversations-per-visitor", l.conversations},
		{"--agent-creations-per-org", l.agentCreations},
	} {
		if f.r.off {
			log.Warn().Str("flag", f.flag).Msg("abuse rate limit is OFF: load tests only")
		}
	}
}

// API-key limits (secret keys, transport/api keylimits.go): each key has
// its own rpm (set per key); --api-user-rpm bounds an owner's keys
// together. They fail closed: in a cluster, while Redis is unreachable,
// API-key requests answer 503.

// maxAPIUserRPM bounds --api-user-rpm.
const maxAPIUserRPM = 1_000_000

var errAPIUserRPM = fmt.Errorf("want N, the requests per minute of one API-key owner across all their keys, from 1 to %d", maxAPIUserRPM)

// rpmFlag is --api-user-rpm: a count from 1 to maxAPIUserRPM ("0", "off"
// and the like are refused: there is no unlimited setting).
type rpmFlag struct{ p *int }

func (f rpmFlag) String() string {
	if f.p == nil {
		return ""
	}
	return strconv.Itoa(*f.p)
}

func (f rpmFlag) Set(v string) error {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 1 || n > maxAPIUserRPM {
		return errAPIUserRPM
	}
	*f.p = n
	return nil
}

// apiLimitFlags declares --api-user-rpm on c.
func apiLimitFlags(fs *flag.FlagSet, c *Config) {
	c.APIUserRPM = api.DefaultAPIUserRPM
	fs.Var(rpmFlag{&c.APIUserRPM}, "api-user-rpm",
		"`N` API requests per minute of one key owner, across all their secret keys (each key also has its own rpm)")
}

// validAPIUserRPM checks a Config built without flags (0 means the
// default).
func validAPIUserRPM(n int) error {
	if n < 0 || n > maxAPIUserRPM {
		return fmt.Errorf("--api-user-rpm %d: %w", n, errAPIUserRPM)
	}
	return nil
}

// apiQuotas returns the API-key windows shared through Redis: per key
// (helpr:rl:apikey) and per owner (helpr:rl:apiuser), on the node's clock.
// A single node gets nil, nil: the API's in-memory windows.
func (c *cluster) apiQuotas(now func() time.Time) (perKey, perUser api.QuotaLimiter) {
	if c == nil {
		return nil, nil
	}
	return redislimit.NewQuota(c.rdb, "helpr:rl:apikey", api.APIQuotaWindow, now),
		redislimit.NewQuota(c.rdb, "helpr:rl:apiuser", api.APIQuotaWindow, now)
}
