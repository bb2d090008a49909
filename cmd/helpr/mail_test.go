package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/internal/testsvc"
	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/transport/mail"
)

// smtpPassword marks the SMTP password: no log line may hold it.
const smtpPassword = "smtp-pw-canary-7Qx"

// withSMTP points a node at srv (--smtp-url), trusting its certificate
// through --smtp-ca-file when it has one (WithSTARTTLS, WithImplicitTLS).
// Other flows' end-to-end tests use it with startNode.
func withSMTP(t *testing.T, srv *testsvc.SMTPServer) func(*Config) {
	t.Helper()
	if srv.CertPEM() == nil {
		return func(c *Config) { c.Mail.SMTPURL = srv.URL() }
	}
	ca := filepath.Join(t.TempDir(), "smtp-ca.pem")
	if err := os.WriteFile(ca, srv.CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	return func(c *Config) { c.Mail.SMTPURL, c.Mail.SMTPCAFile = srv.URL(), ca }
}

// securityMail is a message as the account-security flows queue it.
func securityMail(to string) mail.Message {
	return mail.Message{OrgID: "org_1", To: to, Kind: mail.KindPasswordReset, Subject: "Your helpr reset code",
		Text: "Your code is 12345678. It expires in 10 minutes.\n"}
}

// The app's mailer (the one the REST API gets as Config.Mailer) delivers
// over STARTTLS with AUTH to the configured server, from the default
// sender derived from the public URL; the startup log names the server
// without its credentials.
func TestAppMailerDeliversOverSMTP(t *testing.T) {
	srv := testsvc.StartSMTP(t, testsvc.WithSTARTTLS(), testsvc.WithAuth("helpr", smtpPassword))
	n := startNode(t, t.TempDir(), "127.0.0.1:0", withSMTP(t, srv))
	if n.app.mailer == nil {
		t.Fatal("the app has no mailer")
	}
	if err := n.app.mailer.Enqueue(testCtx(t), securityMail("ada@acme.test")); err != nil {
		t.Fatal(err)
	}
	got := srv.Wait(t, 1, 20*time.Second)[0]
	host := strings.TrimPrefix(n.base, "http://")
	host = host[:strings.LastIndexByte(host, ':')]
	if got.From != "no-reply@"+host || got.To[0] != "ada@acme.test" || !got.TLS || got.User != "helpr" {
		t.Fatalf("from %q to %v tls %v user %q", got.From, got.To, got.TLS, got.User)
	}
	if got.Subject != "Your helpr reset code" || !strings.Contains(got.Body, "12345678") {
		t.Fatalf("subject %q body %q", got.Subject, got.Body)
	}
	logs := n.logs.String()
	if !strings.Contains(logs, `"smtp":"smtp://`+srv.Addr+`"`) || !strings.Contains(logs, "mail goes over SMTP") {
		t.Errorf("startup log does not name the SMTP server:\n%s", logs)
	}
	for _, secret := range []string{smtpPassword, "ada@acme.test", "12345678", "reset code"} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs hold %q:\n%s", secret, logs)
		}
	}
}

// Without --smtp-url mail goes to <data-dir>/outbox, which the start-up
// log names; nothing is dropped.
func TestAppMailerWritesTheOutboxWithoutSMTP(t *testing.T) {
	dir := t.TempDir()
	n := startNode(t, dir, "127.0.0.1:0")
	outbox := filepath.Join(dir, "outbox")
	if !strings.Contains(n.logs.String(), `"outbox":"`+outbox+`"`) {
		t.Fatalf("startup log does not name the outbox %s:\n%s", outbox, n.logs)
	}
	if err := n.app.mailer.Enqueue(testCtx(t), securityMail("ada@acme.test")); err != nil {
		t.Fatal(err)
	}
	var files []os.DirEntry
	for deadline := time.Now().Add(20 * time.Second); len(files) == 0 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		files, _ = os.ReadDir(outbox)
	}
	if len(files) != 1 || !strings.HasSuffix(files[0].Name(), ".eml") {
		t.Fatalf("outbox holds %v", files)
	}
	fi, _ := files[0].Info()
	data, _ := os.ReadFile(filepath.Join(outbox, files[0].Name()))
	if fi.Mode().Perm() != 0o600 || !strings.Contains(string(data), "To: ada@acme.test\r\n") {
		t.Fatalf("mode %v, message:\n%s", fi.Mode(), data)
	}
	n.app.sweepOnce(testCtx(t), time.Now().Add(mailRetention-time.Minute))
	n.app.sweepOnce(testCtx(t), time.Now().Add(mailRetention+time.Minute))
	if logs := n.logs.String(); strings.Count(logs, `"deleted":0,"message":"swept sent mail"`) != 1 ||
		strings.Count(logs, `"deleted":1,"message":"swept sent mail"`) != 1 {
		t.Fatalf("sweeps of sent mail within and after the retention:\n%s", logs)
	}
}

// A restart loses no mail: a node that could not deliver (the server was
// refusing) stops; the next node on the same data directory delivers once
// the retry is due.
func TestAppMailSurvivesARestart(t *testing.T) {
	srv := testsvc.StartSMTP(t, testsvc.WithSTARTTLS())
	srv.Refuse(true)
	dir := t.TempDir()
	n := startNode(t, dir, "127.0.0.1:0", withSMTP(t, srv))
	if err := n.app.mailer.Enqueue(testCtx(t), securityMail("ada@acme.test")); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(n.logs.String(), "will retry"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no refused attempt logged:\n%s", n.logs)
		}
	}
	n.stop()
	srv.Refuse(false)
	later := func(c *Config) { c.now = func() time.Time { return time.Now().Add(mail.DefaultRetryBase) } }
	startNode(t, dir, "127.0.0.1:0", withSMTP(t, srv), later)
	if got := srv.Wait(t, 1, 20*time.Second); got[0].To[0] != "ada@acme.test" {
		t.Fatalf("delivered %+v", got)
	}
}

// The real entry point (flags and environment) never logs the SMTP
// password, and a bad --smtp-url is refused naming the flag without
// repeating the URL.
func TestServeNeverLogsTheSMTPPassword(t *testing.T) {
	srv := testsvc.StartSMTP(t, testsvc.WithAuth("helpr", smtpPassword))
	args := []string{"--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--metrics-addr", "off", "--log-level", "debug"}
	cfg, err := parseServeFlags(args, env(map[string]string{"HELPR_SMTP_URL": srv.URL()}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Mail.SMTPURL != srv.URL() {
		t.Fatalf("HELPR_SMTP_URL not applied: %q", cfg.Mail.SMTPURL)
	}
	logs := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, logs) }()
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(logs.String(), "helpr serving"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("no start:\n%s", logs)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if strings.Contains(logs.String(), smtpPassword) || !strings.Contains(logs.String(), "mail goes over SMTP") {
		t.Fatalf("logs:\n%s", logs)
	}
	for _, bad := range []string{"http://helpr:" + smtpPassword + "@mail.example.com", "smtp://helpr:" + smtpPassword + "@/x"} {
		_, err := parseServeFlags([]string{"--smtp-url", bad}, env(nil))
		if err == nil || !strings.Contains(err.Error(), "--smtp-url") || strings.Contains(err.Error(), smtpPassword) {
			t.Errorf("--smtp-url %s: %v", bad, err)
		}
	}
	if _, err := parseServeFlags([]string{"--mail-from", "not an address"}, env(nil)); err == nil || !strings.Contains(err.Error(), "--mail-from") {
		t.Errorf("bad --mail-from: %v", err)
	}
}

// A real flow over the real server: signing in with a backup code mails
// the holder through the configured SMTP server (STARTTLS), and the mail
// holds neither the code nor the password.
func TestBackupCodeSignInMailArrivesOverSMTP(t *testing.T) {
	srv := testsvc.StartSMTP(t, testsvc.WithSTARTTLS())
	n := startNode(t, t.TempDir(), "127.0.0.1:0", withSMTP(t, srv))
	const email, password = "ada@acme.test", "correct horse battery"
	tn := n.registerTenant("Acme", email, "https://shop.acme.test")
	var setup struct{ Secret string }
	if code := n.call("POST", "/rest/v1/auth/totp/setup", tn.owner.AccessToken, map[string]any{}, &setup); code != http.StatusOK {
		t.Fatalf("totp setup: %d", code)
	}
	totp, err := security.TOTPCode(setup.Secret, time.Now().Unix()/30, 6)
	if err != nil {
		t.Fatal(err)
	}
	var enabled struct {
		BackupCodes []string `json:"backup_codes"`
	}
	if code := n.call("POST", "/rest/v1/auth/totp/enable", tn.owner.AccessToken, map[string]any{"code": totp}, &enabled); code != http.StatusOK || len(enabled.BackupCodes) == 0 {
		t.Fatalf("totp enable: %d %+v", code, enabled)
	}
	var step struct {
		Ticket string `json:"mfa_ticket"`
	}
	if code := n.call("POST", "/rest/v1/auth/login", "", map[string]any{"email": email, "password": password}, &step); code != http.StatusOK || step.Ticket == "" {
		t.Fatalf("login: %d %+v", code, step)
	}
	backup := enabled.BackupCodes[0]
	var tk tokens
	if code := n.call("POST", "/rest/v1/auth/mfa/verify", "", map[string]any{"mfa_ticket": step.Ticket, "backup_code": backup}, &tk); code != http.StatusOK || tk.AccessToken == "" {
		t.Fatalf("verify with a backup code: %d", code)
	}
	got := srv.Wait(t, 1, 20*time.Second)[0]
	if got.To[0] != email || !got.TLS || got.Header.Get("Auto-Submitted") != "auto-generated" ||
		!strings.Contains(got.Subject, "backup code") || !strings.Contains(got.Body, n.base+"/console/#security") {
		t.Fatalf("mail to %v (tls %v): %q\n%s", got.To, got.TLS, got.Subject, got.Body)
	}
	for _, secret := range []string{backup, password, setup.Secret, tk.AccessToken} {
		if strings.Contains(string(got.Raw), secret) {
			t.Errorf("the mail holds a secret %q", secret)
		}
	}
	if logs := n.logs.String(); strings.Contains(logs, email) || strings.Contains(logs, backup) {
		t.Errorf("logs hold the address or the code:\n%s", logs)
	}
}
