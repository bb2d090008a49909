package main

import (
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestServeFlagsDefaultsEnvAndPrecedence(t *testing.T) {
	c, err := parseServeFlags(nil, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8080" || c.DataDir != "./data" || c.PublicURL != "http://127.0.0.1:8080" {
		t.Fatalf("zero config: %+v", c)
	}
	c, err = parseServeFlags([]string{"--addr", "127.0.0.1:9000"}, env(map[string]string{
		"HELPR_ADDR": "127.0.0.1:7000", "HELPR_DATA_DIR": "/var/lib/helpr", "HELPR_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.1",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:9000" || c.DataDir != "/var/lib/helpr" || len(c.TrustedProxies) != 2 {
		t.Fatalf("flags over env: %+v", c)
	}
}

func TestServeConfigRefusesBadValuesNamingTheFlag(t *testing.T) {
	cases := map[string][]string{
		"--addr":       {"--addr", "nonsense"},
		"--public-url": {"--public-url", "https://chat.example.com/path"},
		"--log-format": {"--log-format", "xml"},
		"--tls-cert":   {"--tls-cert", "cert.pem"},
		"--pprof-addr": {"--pprof-addr", "0.0.0.0:6060"},
		"--store":      {"--store", "postgres"},
		"--redis-url":  {"--redis-url", "http://127.0.0.1:6379"},
	}
	for flag, args := range cases {
		_, err := parseServeFlags(args, env(nil))
		if err == nil || !strings.Contains(err.Error(), flag) {
			t.Errorf("%v: error %v does not name %s", args, err, flag)
		}
	}
	if _, err := parseServeFlags(nil, env(map[string]string{"HELPR_WS_FRAME_RATE": "fast"})); err == nil || !strings.Contains(err.Error(), "HELPR_WS_FRAME_RATE") {
		t.Errorf("bad env value: %v", err)
	}
}
