package main

import (
	"strings"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/transport/api"
	"github.com/helpr-chat/helpr/transport/ws"
)

// The flags' defaults are the packages' documented defaults.
func TestAbuseLimitDefaultsMatchThePackages(t *testing.T) {
	c, err := parseServeFlags(nil, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []AbuseLimits{c.Limits, {}} { // parsed flags, and a zero Config
		got, err := l.resolve()
		if err != nil {
			t.Fatal(err)
		}
		want := abuseLimits{
			visitorIP:      rate{n: api.DefaultVisitorSessionIPLimit, window: api.DefaultVisitorSessionIPWindow},
			visitorWidget:  rate{n: api.DefaultVisitorSessionWidgetLimit, window: api.DefaultVisitorSessionWidgetWindow},
			conversations:  rate{n: ws.DefaultConversationLimit, window: ws.DefaultConversationWindow},
			agentCreations: rate{n: api.DefaultAgentCreateLimit, window: api.DefaultAgentCreateWindow},
		}
		if got != want {
			t.Fatalf("%+v resolves to %+v, want %+v", l, got, want)
		}
	}
}

func TestAbuseLimitFlagsEnvAndOff(t *testing.T) {
	c, err := parseServeFlags([]string{"--visitor-sessions-per-ip", "off", "--conversations-per-visitor", "3/30s"},
		env(map[string]string{"HELPR_VISITOR_SESSIONS_PER_IP": "5/1m", "HELPR_VISITOR_SESSIONS_PER_WIDGET": "OFF",
			"HELPR_CONVERSATIONS_PER_VISITOR": "9/1h", "HELPR_AGENT_CREATIONS_PER_ORG": "5/10m"}))
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Limits.resolve()
	if err != nil {
		t.Fatal(err)
	}
	want := abuseLimits{visitorIP: rate{off: true}, visitorWidget: rate{off: true},
		conversations: rate{n: 3, window: 30 * time.Second}, agentCreations: rate{n: 5, window: 10 * time.Minute}}
	if got != want {
		t.Fatalf("limits %+v, want %+v", got, want)
	}
	if got.visitorIP.api() != (api.RateLimit{Disabled: true}) || got.conversations.ws() != (ws.RateLimit{Limit: 3, Window: 30 * time.Second}) {
		t.Fatalf("conversions %+v %+v", got.visitorIP.api(), got.conversations.ws())
	}
	// --no-auth-rate-limits leaves them on.
	c, err = parseServeFlags([]string{"--no-auth-rate-limits"}, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := c.Limits.resolve(); got.visitorIP.off || got.visitorWidget.off || got.conversations.off || got.agentCreations.off {
		t.Fatalf("--no-auth-rate-limits turned abuse limits off: %+v", got)
	}
}

func TestAbuseLimitFlagsRefuseBadValuesNamingTheFlag(t *testing.T) {
	for _, bad := range []string{"20", "20/", "/1m", "0/1m", "-1/1m", "1000001/1m", "x/1m", "20/1", "20/500ms",
		"20/1.5s", "20/25h", "20/1m/2", "twenty/1m", "of", "20 per minute"} {
		for _, flag := range []string{"--visitor-sessions-per-ip", "--visitor-sessions-per-widget", "--conversations-per-visitor", "--agent-creations-per-org"} {
			_, err := parseServeFlags([]string{flag, bad}, env(nil))
			if err == nil || !strings.Contains(err.Error(), flag) || !strings.Contains(err.Error(), "N/DURATION") {
				t.Errorf("%s %q: error %v does not name the flag and the format", flag, bad, err)
			}
		}
	}
	_, err := parseServeFlags(nil, env(map[string]string{"HELPR_CONVERSATIONS_PER_VISITOR": "lots"}))
	if err == nil || !strings.Contains(err.Error(), "--conversations-per-visitor") {
		t.Errorf("bad env value: %v", err)
	}
	for _, ok := range []string{"1/1s", "1000000/24h", " 20/1m ", "Off", "60/1m0s", "1/90m"} {
		if _, err := parseRate(ok); err != nil {
			t.Errorf("parseRate(%q): %v", ok, err)
		}
	}
}
