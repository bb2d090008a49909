package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/transport/wire"
)

// benchRun parses args for scenario and runs it against the shared server.
func benchRun(t *testing.T, scenario string, rx rxHook, args ...string) *Result {
	t.Helper()
	s := sharedServer(t)
	args = append([]string{"--target", s.base, "--quiet", "--ack-timeout", "15s"}, args...)
	cfg, err := parseConfig(scenario, args, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := runBench(ctx, cfg, io.Discard, rx)
	if err != nil {
		t.Fatalf("%s: %v\nserver logs:\n%s", scenario, err, s.logs.String())
	}
	return res
}

func requireVerified(t *testing.T, r *Result) {
	t.Helper()
	if !r.Verified || len(r.Violations) > 0 || r.Counts.Errors != 0 {
		t.Fatalf("%s not verified: errors %d, violations %v", r.Scenario, r.Counts.Errors, r.Violations)
	}
	if r.Counts.Lost+r.Counts.Duplicates+r.Counts.Reordered != 0 {
		t.Fatalf("%s: counts %+v", r.Scenario, r.Counts)
	}
}

func TestConnectScenario(t *testing.T) {
	r := benchRun(t, "connect", nil, "--conns", "8", "--duration", "20s")
	requireVerified(t, r)
	if r.Counts.Connections != 8 || r.Latency[lConnect].Count != 8 || r.Rates["connects_per_s"] <= 0 {
		t.Fatalf("connect: counts %+v, latency %+v, rates %v", r.Counts, r.Latency, r.Rates)
	}
}

func TestIdleScenarioReadsServerStats(t *testing.T) {
	s := sharedServer(t)
	r := benchRun(t, "idle", nil, "--conns", "6", "--duration", "1s", "--server-pid", itoa(s.cmd.Process.Pid))
	requireVerified(t, r)
	if r.Counts.Connections != 6 || r.Server == nil || r.Server.RSSBytes <= 0 || len(r.Timeline) == 0 {
		t.Fatalf("idle: counts %+v, server %+v, timeline %d", r.Counts, r.Server, len(r.Timeline))
	}
}

func TestRoomsScenario(t *testing.T) {
	r := benchRun(t, "rooms", nil, "--conversations", "3", "--rate", "60", "--duration", "1500ms")
	requireVerified(t, r)
	c := r.Counts
	if c.Connections != 6 || c.Sent < 10 || c.Acked != c.Sent || c.Delivered != c.Sent {
		t.Fatalf("rooms counts: %+v", c)
	}
	if r.Latency[lE2E].Count != c.Delivered || r.Latency[lAck].Count != c.Acked {
		t.Fatalf("rooms latency counts: %+v", r.Latency)
	}
	if r.Rates["messages_per_s"] <= 0 || r.Rates["deliveries_per_s"] <= 0 {
		t.Fatalf("rooms rates: %v", r.Rates)
	}
}

func TestFanoutScenario(t *testing.T) {
	r := benchRun(t, "fanout", nil, "--agents", "4", "--rate", "20", "--duration", "1s")
	requireVerified(t, r)
	c := r.Counts
	if c.Sent < 5 || c.Acked != c.Sent || c.Delivered != 4*c.Acked || r.Latency[lInbox].Count != c.Delivered {
		t.Fatalf("fanout: counts %+v latency %+v", c, r.Latency)
	}
}

func TestLoginScenario(t *testing.T) {
	r := benchRun(t, "login", nil, "--conns", "2", "--agents", "2", "--duration", "1s")
	requireVerified(t, r)
	if r.Latency[lLogin].Count == 0 || r.Latency[lRefresh].Count == 0 || r.Rates["logins_per_s"] <= 0 {
		t.Fatalf("login: latency %+v rates %v", r.Latency, r.Rates)
	}
}

func TestRoomsWithFloor(t *testing.T) {
	r := benchRun(t, "rooms", nil, "--conversations", "2", "--rate", "40", "--duration", "1s", "--floor")
	requireVerified(t, r)
	if r.Floor == nil || !r.Floor.Verified || r.Floor.Scenario != "floor-rooms" || r.Floor.Counts.Delivered == 0 {
		t.Fatalf("floor: %+v", r.Floor)
	}
	if r.Ratios["messages_per_s"] <= 0 || r.Ratios["e2e_p99"] <= 0 {
		t.Fatalf("ratios: %v", r.Ratios)
	}
}

// With --server-pid, --floor runs the floor as a child process and reads
// its memory and CPU the same way.
func TestIdleWithFloorProcess(t *testing.T) {
	s := sharedServer(t)
	r := benchRun(t, "idle", nil, "--conns", "4", "--duration", "500ms", "--floor", "--server-pid", itoa(s.cmd.Process.Pid))
	requireVerified(t, r)
	if r.Floor == nil || !r.Floor.Verified || r.Floor.Counts.Connections != 4 || r.Floor.Server == nil || r.Floor.Server.RSSBytes <= 0 {
		t.Fatalf("floor: %+v", r.Floor)
	}
}

// The verification must catch a message lost in the receive path: one
// receiver silently drops seq 3 of one conversation.
func TestVerificationCatchesInjectedLoss(t *testing.T) {
	var dropped atomic.Bool
	drop := func(p *peer, m wire.Message, deliver func(wire.Message)) {
		if m.Seq == 3 && dropped.CompareAndSwap(false, true) {
			return
		}
		deliver(m)
	}
	r := benchRun(t, "rooms", drop, "--conversations", "2", "--rate", "40", "--duration", "1s", "--ack-timeout", "2s")
	if !dropped.Load() {
		t.Fatal("the hook never saw seq 3")
	}
	if r.Verified || r.Counts.Lost != 1 || !hasViolation(r, "loss") {
		t.Fatalf("loss not caught: verified %v counts %+v violations %v", r.Verified, r.Counts, r.Violations)
	}
}

// The verification must catch a reorder: one receiver sees seq 3 before 2.
func TestVerificationCatchesInjectedReorder(t *testing.T) {
	var mu sync.Mutex
	var target *peer
	var held *wire.Message
	var swapped bool
	reorder := func(p *peer, m wire.Message, deliver func(wire.Message)) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case swapped:
		case target == nil && m.Seq == 2:
			target, held = p, &m
			return
		case p == target && held != nil && m.ConversationID == held.ConversationID && m.Seq == 3:
			deliver(m)
			deliver(*held)
			swapped = true
			return
		}
		deliver(m)
	}
	r := benchRun(t, "rooms", reorder, "--conversations", "2", "--rate", "40", "--duration", "1s", "--ack-timeout", "2s")
	mu.Lock()
	ok := swapped
	mu.Unlock()
	if !ok {
		t.Fatal("the hook never swapped seq 2 and 3")
	}
	if r.Verified || r.Counts.Reordered != 1 || r.Counts.Lost != 0 || !hasViolation(r, "reorder") {
		t.Fatalf("reorder not caught: verified %v counts %+v violations %v", r.Verified, r.Counts, r.Violations)
	}
}

func hasViolation(r *Result, kind string) bool {
	for _, v := range r.Violations {
		if strings.HasPrefix(v, kind+" ") {
			return true
		}
	}
	return false
}

// The command line: a verified run exits 0, prints the table and writes
// the JSON Result.
func TestCommandLineWritesJSON(t *testing.T) {
	s := sharedServer(t)
	path := filepath.Join(t.TempDir(), "r.json")
	var out strings.Builder
	code := realMain(context.Background(), []string{"rooms", "--target", s.base, "--conversations", "1",
		"--rate", "10", "--duration", "1s", "--quiet", "--json", path}, &out, io.Discard)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out.String())
	}
	if !strings.Contains(out.String(), "VERIFIED") || !strings.Contains(out.String(), "e2e") {
		t.Fatalf("table:\n%s", out.String())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r Result
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if r.Scenario != "rooms" || !r.Verified || r.Counts.Sent == 0 || r.Params["conversations"] != "1" {
		t.Fatalf("json: %+v", r)
	}
	if _, ok := r.Params["password"]; ok {
		t.Fatal("the password flag must not be recorded")
	}
}

func TestCommandLineRefusesRemoteTargetsAndBadFlags(t *testing.T) {
	cases := [][]string{
		{"rooms", "--target", "http://192.0.2.1:8080"},
		{"rooms", "--conversations", "0"},
		{"rooms", "--conversations", "1000000"},
		{"cluster", "--target", "http://127.0.0.1:1"},
		{"nosuch"},
		{},
	}
	for _, args := range cases {
		if code := realMain(context.Background(), args, io.Discard, io.Discard); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
