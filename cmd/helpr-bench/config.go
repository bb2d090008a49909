package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/helpr-chat/helpr/transport/wire"
)

// Hard caps: no flag can make a run unbounded.
const (
	maxConns         = 100_000
	maxConversations = 50_000
	maxAgents        = 10_000
	maxRate          = 1_000_000
	maxDuration      = 24 * time.Hour
	maxStartRate     = 10_000 // fanout: at most 1,000 visitor connections
)

// config is one invocation's flags.
type config struct {
	scenario      string
	targets       []string
	duration      time.Duration
	ramp          time.Duration
	conns         int
	conversations int
	agents        int
	agentAccounts int
	agentInbox    string // the activity scope rooms agents watch (inbox.watch)
	rate          float64
	jsonPath      string
	htmlPath      string
	serverPID     int
	allowRemote   bool
	floor         bool
	quiet         bool
	orgEmail      string
	password      string
	ackTimeout    time.Duration
	cpuProfile    string
	started       time.Time
	raw           map[string]string // flags as given, for Result.Params
}

// defaults per scenario: conns, conversations, agents, rate.
var scenarioDefaults = map[string][4]float64{
	"connect": {100, 0, 0, 0},
	"idle":    {100, 0, 0, 0},
	"rooms":   {0, 50, 1, 500},
	"cluster": {0, 50, 1, 500},
	"fanout":  {0, 0, 50, 20},
	"login":   {4, 0, 1, 0},
}

// parseConfig reads the flags of `helpr-bench <scenario> [flags]`.
func parseConfig(scenario string, args []string, stderr io.Writer) (*config, error) {
	def, ok := scenarioDefaults[scenario]
	if !ok {
		return nil, fmt.Errorf("unknown scenario %q", scenario)
	}
	c := &config{scenario: scenario}
	fs := flag.NewFlagSet("helpr-bench "+scenario, flag.ContinueOnError)
	fs.SetOutput(stderr)
	targets := fs.String("target", "http://127.0.0.1:8080", "base URL of the server; several comma-separated for cluster")
	fs.DurationVar(&c.duration, "duration", 10*time.Second, "measured duration (bounded by 24h)")
	fs.DurationVar(&c.ramp, "ramp", 0, "spread connection set-up over this long (0: as fast as possible)")
	fs.IntVar(&c.conns, "conns", int(def[0]), "connections (connect, idle) or concurrent workers (login)")
	fs.IntVar(&c.conversations, "conversations", int(def[1]), "conversations, each a visitor and an agent connection (rooms, cluster)")
	fs.IntVar(&c.agents, "agents", int(def[2]), "online agent connections (fanout); agent accounts (login)")
	fs.IntVar(&c.agentAccounts, "agent-accounts", 1, "agent accounts the agent connections are spread over (rooms, cluster, fanout)")
	fs.StringVar(&c.agentInbox, "agent-inbox", "none", "per-message inbox activity the rooms/cluster agents watch: all, mine or none (inbox.watch)")
	fs.Float64Var(&c.rate, "rate", def[3], "messages/s overall (rooms, cluster) or new conversations/s (fanout)")
	fs.StringVar(&c.jsonPath, "json", "", "write the Result as JSON to this file")
	fs.StringVar(&c.htmlPath, "html", "", "write an HTML report with plots to this file")
	fs.IntVar(&c.serverPID, "server-pid", 0, "the server's pid: read its RSS and CPU from /proc")
	fs.BoolVar(&c.allowRemote, "allow-remote", false, "allow non-loopback targets")
	fs.BoolVar(&c.floor, "floor", false, "also run the scenario against an in-process floor server and report ratios")
	fs.BoolVar(&c.quiet, "quiet", false, "no progress lines")
	fs.StringVar(&c.orgEmail, "org-email", "", "use this existing owner or admin account instead of registering an organisation")
	fs.StringVar(&c.password, "password", "", "password of --org-email")
	fs.StringVar(&c.cpuProfile, "cpuprofile", "", "write a CPU profile of the harness itself (the whole run) to this file")
	fs.DurationVar(&c.ackTimeout, "ack-timeout", 10*time.Second, "how long to wait at the end for acks and deliveries")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	for _, t := range strings.Split(*targets, ",") {
		if t = strings.TrimSpace(t); t != "" {
			c.targets = append(c.targets, strings.TrimSuffix(t, "/"))
		}
	}
	c.raw = map[string]string{}
	fs.VisitAll(func(f *flag.Flag) {
		if f.Name != "password" {
			c.raw[f.Name] = f.Value.String()
		}
	})
	return c, c.validate()
}

func (c *config) validate() error {
	var errs []error
	check := func(ok bool, msg string) {
		if !ok {
			errs = append(errs, errors.New(msg))
		}
	}
	check(len(c.targets) > 0, "--target: at least one URL")
	check(c.scenario != "cluster" || len(c.targets) >= 2, "--target: cluster needs two or more comma-separated nodes")
	check(c.duration > 0 && c.duration <= maxDuration, "--duration: between 1ns and 24h")
	check(c.ramp >= 0 && c.ramp <= maxDuration, "--ramp: between 0 and 24h")
	check(c.conns >= 0 && c.conns <= maxConns, fmt.Sprintf("--conns: between 0 and %d", maxConns))
	check(c.conversations >= 0 && c.conversations <= maxConversations, fmt.Sprintf("--conversations: between 0 and %d", maxConversations))
	check(c.agents >= 0 && c.agents <= maxAgents, fmt.Sprintf("--agents: between 0 and %d", maxAgents))
	check(c.agentAccounts >= 1 && c.agentAccounts <= 1000, "--agent-accounts: between 1 and 1000")
	check(c.agentInbox == wire.ScopeAll || c.agentInbox == wire.ScopeMine || c.agentInbox == wire.ScopeNone, "--agent-inbox: all, mine or none")
	check(c.rate >= 0 && c.rate <= maxRate, fmt.Sprintf("--rate: between 0 and %d", maxRate))
	check(c.ackTimeout > 0 && c.ackTimeout <= 10*time.Minute, "--ack-timeout: between 1ns and 10m")
	check((c.orgEmail == "") == (c.password == ""), "--org-email and --password go together")
	check(c.serverPID >= 0, "--server-pid: a pid")
	switch c.scenario {
	case "rooms", "cluster":
		check(c.conversations > 0, "--conversations: at least 1")
		check(c.rate > 0, "--rate: above 0")
		check(2*c.conversations <= maxConns, "--conversations: too many connections")
	case "fanout":
		check(c.agents > 0 && c.rate > 0, "--agents and --rate: at least 1")
		check(c.rate <= maxStartRate, fmt.Sprintf("--rate: at most %d new conversations/s", maxStartRate))
	case "connect", "idle", "login":
		check(c.conns > 0, "--conns: at least 1")
	}
	return errors.Join(errs...)
}

// params is Result.Params: every flag (the password left out).
func (c *config) params() map[string]string {
	out := make(map[string]string, len(c.raw))
	for k, v := range c.raw {
		out[k] = v
	}
	out["scenario"] = c.scenario
	out["targets"] = strconv.Itoa(len(c.targets))
	return out
}

func joinTargets(t []string) string { return strings.Join(t, ",") }
