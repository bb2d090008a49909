package main

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// browserSuite skips a browser test when HELPR_BROWSER_SUITE names another
// suite: HELPR_BROWSER_SUITE=security runs only TestBrowserSecurity,
// HELPR_BROWSER_SUITE=main only TestBrowser; unset runs both.
func browserSuite(t *testing.T, name string) {
	t.Helper()
	if s := os.Getenv("HELPR_BROWSER_SUITE"); s != "" && s != name {
		t.Skipf("HELPR_BROWSER_SUITE=%s: suite %s skipped", s, name)
	}
}

// securityOwner is the owner the security scenario signs in as.
const (
	securityOwnerEmail    = "sec-owner@acme.test"
	securityOwnerPassword = "correct horse battery"
)

// TestBrowserSecurity drives the console's account-security pages in real
// headless Chromium (widget/test/scenarios/security.mjs): TOTP enrolment
// (the script reads the key from the page and computes codes itself) and
// the two-step sign-in with a code and with a backup code, a passkey added
// and used through Chromium's virtual authenticator (CDP WebAuthn), another
// session revoked from the sessions page (that browser is signed out),
// invitations, the audit page, a sign-in link and the forgot-password page.
// The hub is opened as http://localhost:PORT, its --public-url, so the
// passkeys' relying party is "localhost". Mail goes to the hub's outbox
// (no --smtp-url), which the script reads (HELPR_OUTBOX).
func TestBrowserSecurity(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	browserSuite(t, "security")
	nodeBin, widgetDir, missing := browserDeps(t)
	if missing != "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("browser test needs %s", missing)
		}
		t.Skipf("browser test needs %s", missing)
	}
	dataDir := t.TempDir()
	var hub string
	n := startNode(t, dataDir, "127.0.0.1:0", func(c *Config) {
		_, port, _ := net.SplitHostPort(c.Addr)
		hub = "http://localhost:" + port
		c.PublicURL = hub
	})
	tn := n.registerTenant("Acme Security", securityOwnerEmail, hub)

	artifacts := browserArtifacts(t)
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute) // a deadlock guard only
	defer cancel()
	cmd := exec.CommandContext(ctx, nodeBin, filepath.Join(widgetDir, "test", "browser.mjs"))
	cmd.Dir = widgetDir
	cmd.Env = append(os.Environ(),
		"HELPR_BROWSER_SUITE=security",
		"HELPR_HUB_URL="+hub,
		"HELPR_HOST_URL="+hub+"/", // no host page in this suite
		"HELPR_DEMO_KEY="+tn.widgetKey,
		"HELPR_AGENT_EMAIL="+securityOwnerEmail,
		"HELPR_AGENT_PASSWORD="+securityOwnerPassword,
		"HELPR_ARTIFACTS="+artifacts,
		"HELPR_CHROMIUM="+chromiumPath,
		"HELPR_OUTBOX="+filepath.Join(dataDir, "outbox"),
	)
	out, err := cmd.CombinedOutput()
	t.Logf("browser.mjs security suite (screenshots in %s):\n%s", artifacts, out)
	if err != nil {
		t.Fatalf("browser test failed: %v\n%s", err, tail(n.logs.String(), 40))
	}
	for _, f := range securityScreenshots {
		if _, err := os.Stat(filepath.Join(artifacts, f)); err != nil {
			t.Errorf("screenshot %s missing: %v", f, err)
		}
	}
}

// securityScreenshots are the screens the security suite must leave.
var securityScreenshots = []string{
	"sec-signin.png", "sec-security.png", "sec-totp-setup.png", "sec-backup-codes.png", "sec-mfa-step.png",
	"sec-mfa-backup.png", "sec-passkeys.png", "sec-sessions.png", "sec-revoked.png", "sec-team.png",
	"sec-agent-sessions.png", "sec-audit.png", "sec-magic.png", "sec-invite.png", "sec-forgot.png", "sec-forgot-code.png",
}

// browserArtifacts is the absolute directory where a browser suite writes
// its screenshots: HELPR_BROWSER_ARTIFACTS to keep them, else a temporary
// directory of the test.
func browserArtifacts(t *testing.T) string {
	dir := os.Getenv("HELPR_BROWSER_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	return dir
}
