package main

import (
	"net/http"
	"strings"
	"testing"
)

func TestLoadTestAgentPasswordsFlag(t *testing.T) {
	c, err := parseServeFlags(nil, env(nil))
	if err != nil || c.LoadTestAgentPasswords {
		t.Fatalf("default %v, %v; want off", c.LoadTestAgentPasswords, err)
	}
	c, err = parseServeFlags(nil, env(map[string]string{"HELPR_LOAD_TEST_AGENT_PASSWORDS": "true"}))
	if err != nil || !c.LoadTestAgentPasswords {
		t.Fatalf("from the environment %v, %v", c.LoadTestAgentPasswords, err)
	}
	c, err = parseServeFlags([]string{"--load-test-agent-passwords"}, env(nil))
	if err != nil || !c.LoadTestAgentPasswords {
		t.Fatalf("flag %v, %v", c.LoadTestAgentPasswords, err)
	}
}

func TestAgentPasswordsRefusedWithoutTheFlag(t *testing.T) {
	n := startNode(t, t.TempDir(), "127.0.0.1:0", func(c *Config) { c.LoadTestAgentPasswords = false })
	tn := n.registerTenant("Acme", "owner@acme.test", "https://shop.acme.test")
	code := n.call("POST", "/rest/v1/agents", tn.owner.AccessToken, map[string]any{
		"name": "Bob", "email": "bob@acme.test", "role": "agent", "password": "a long enough password"}, nil)
	if code != http.StatusForbidden {
		t.Fatalf("POST /agents with a password: %d, want 403", code)
	}
	if strings.Contains(n.logs.String(), "load-test-agent-passwords") {
		t.Fatal("warning logged without the flag")
	}
	on := startNode(t, t.TempDir(), "127.0.0.1:0")
	if !strings.Contains(on.logs.String(), "--load-test-agent-passwords") {
		t.Fatal("no startup warning with the flag")
	}
}
