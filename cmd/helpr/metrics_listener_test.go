package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// getWithAuth returns the status and body of a GET of url with the given
// Authorization header ("" for none).
func getWithAuth(t *testing.T, url, auth string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// The main listener does not serve /metrics to anyone by default: they
// are on the metrics listener (loopback by default) instead.
func TestMetricsNotPublicOnTheMainListener(t *testing.T) {
	n := startNode(t, t.TempDir(), "127.0.0.1:0")
	if code, body := getWithAuth(t, n.base+"/metrics", ""); code != http.StatusNotFound || strings.Contains(body, "helpr_") {
		t.Fatalf("GET /metrics on the main listener: %d %.200q, want 404 without metrics", code, body)
	}
	if !strings.Contains(metricsText(t, n), "helpr_") {
		t.Fatal("the metrics listener serves no helpr_ metrics")
	}
}

// With --metrics-token-file, the main listener serves /metrics only to
// that bearer token.
func TestMetricsOnTheMainListenerNeedTheToken(t *testing.T) {
	const token = "s3cret-metrics-token-0123456789"
	path := filepath.Join(t.TempDir(), "metrics.token")
	if err := os.WriteFile(path, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	n := startNode(t, t.TempDir(), "127.0.0.1:0", func(c *Config) { c.MetricsTokenFile = path })
	for _, auth := range []string{"", "Bearer ", "Bearer wrong", "Bearer " + token + "x", "Basic " + token, token} {
		if code, body := getWithAuth(t, n.base+"/metrics", auth); code != http.StatusUnauthorized || strings.Contains(body, "helpr_") {
			t.Errorf("Authorization %q: %d %.200q, want 401 without metrics", auth, code, body)
		}
	}
	if code, body := getWithAuth(t, n.base+"/metrics", "Bearer "+token); code != http.StatusOK || !strings.Contains(body, "helpr_") {
		t.Fatalf("right token: %d %.200q, want 200 with metrics", code, body)
	}
	if strings.Contains(n.logs.String(), token) {
		t.Fatal("the metrics token is in the log")
	}
}

// A real `helpr serve` opens its metrics listener on --metrics-addr, and
// two nodes on one machine start when the second says off.
func TestServeOpensTheMetricsListener(t *testing.T) {
	maddr := freeAddr(t)
	p := startProc(t, "n1", freeAddr(t), "--data-dir", t.TempDir(), "--metrics-addr", maddr)
	if code, body := getWithAuth(t, "http://"+maddr+"/metrics", ""); code != http.StatusOK || !strings.Contains(body, "helpr_") {
		t.Fatalf("metrics listener: %d %.200q", code, body)
	}
	if code, _ := getWithAuth(t, p.base+"/metrics", ""); code != http.StatusNotFound {
		t.Fatalf("main listener /metrics: %d, want 404", code)
	}
	if code, _ := getWithAuth(t, "http://"+maddr+"/healthz", ""); code != http.StatusNotFound {
		t.Fatalf("metrics listener /healthz: %d, want 404 (it serves /metrics only)", code)
	}
	q := startProc(t, "n2", freeAddr(t), "--data-dir", t.TempDir(), "--metrics-addr", "off")
	if code, _ := getWithAuth(t, q.base+"/readyz", ""); code != http.StatusOK {
		t.Fatalf("second node: /readyz %d", code)
	}
}

// A token file must be private and hold a token long enough not to guess.
func TestMetricsTokenFileRefused(t *testing.T) {
	dir := t.TempDir()
	for name, c := range map[string]struct {
		content string
		mode    os.FileMode
	}{
		"readable by others": {"s3cret-metrics-token-0123456789", 0o644},
		"too short":          {"short-token", 0o600},
		"two words":          {"s3cret-metrics token-0123456789", 0o600},
		"empty":              {"\n", 0o600},
	} {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "_"))
		if err := os.WriteFile(path, []byte(c.content), c.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, c.mode); err != nil {
			t.Fatal(err)
		}
		tok, err := loadMetricsToken(path)
		if err == nil || tok != nil {
			t.Errorf("%s: accepted", name)
		} else if strings.Contains(err.Error(), c.content) && strings.TrimSpace(c.content) != "" {
			t.Errorf("%s: the error quotes the token: %v", name, err)
		}
	}
	if _, err := loadMetricsToken(filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing token file was accepted")
	}
}

// --metrics-addr is off or host:port; off is accepted by validation.
func TestMetricsAddrValidated(t *testing.T) {
	for v, ok := range map[string]bool{"off": true, "127.0.0.1:0": true, "[::1]:9464": true, "nonsense": false, "9464": false} {
		c := Config{MetricsAddr: v}
		c.defaults()
		if err := c.validate(); (err == nil) != ok {
			t.Errorf("--metrics-addr %q: validate = %v, want ok=%v", v, err, ok)
		}
	}
}
