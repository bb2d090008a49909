package main

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/client"
	"github.com/helpr-chat/helpr/internal/testsvc"
	"github.com/helpr-chat/helpr/transport/wire"
)

// The account-security flows end to end: a real node with a real SQLite
// file sends its mail through a real SMTP server on loopback, and the test
// reads the link or code from what arrived.

var (
	magicLinkRE = regexp.MustCompile(`https?://\S+/console/#magic=([A-Za-z0-9_-]+)`)
	inviteRE    = regexp.MustCompile(`https?://\S+/console/#invite=([A-Za-z0-9_-]+)`)
	resetCodeRE = regexp.MustCompile(`\b(\d{8})\b`)
)

// mailNode starts a node that sends mail to a fresh SMTP server, on clk.
func mailNode(t *testing.T, clk *testClock, tweak ...func(*Config)) (*node, *testsvc.SMTPServer) {
	t.Helper()
	smtp := testsvc.StartSMTP(t)
	all := append([]func(*Config){withClock(clk), withSMTP(t, smtp)}, tweak...)
	return startNode(t, t.TempDir(), "127.0.0.1:0", all...), smtp
}

// mailTo waits for the nth mail (1-based) to addr and returns it.
func mailTo(t *testing.T, s *testsvc.SMTPServer, n int, addr string) testsvc.Mail {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		var got []testsvc.Mail
		for _, m := range s.Messages() {
			for _, to := range m.To {
				if strings.EqualFold(to, addr) {
					got = append(got, m)
				}
			}
		}
		if len(got) >= n {
			return got[n-1]
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("mail %d to %s did not arrive; have %d mails", n, addr, len(s.Messages()))
	return testsvc.Mail{}
}

func match(t *testing.T, re *regexp.Regexp, body string) string {
	t.Helper()
	m := re.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no %s in mail:\n%s", re, body)
	}
	return m[1]
}

// parallel runs f n times at once and counts the calls that returned want.
func parallel(n, want int, f func() int) int {
	var wg sync.WaitGroup
	var hits atomic.Int32
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if f() == want {
				hits.Add(1)
			}
		}()
	}
	wg.Wait()
	return int(hits.Load())
}

func TestMagicLinkThroughSMTP(t *testing.T) {
	clk := newTestClock()
	n, smtp := mailNode(t, clk)
	n.registerTenant("Acme", "owner@acme.test", "https://acme.test")

	if st := n.call("POST", "/rest/v1/auth/magic-link", "", map[string]string{"email": "owner@acme.test"}, nil); st != 202 {
		t.Fatalf("magic-link: %d", st)
	}
	if st := n.call("POST", "/rest/v1/auth/magic-link", "", map[string]string{"email": "nobody@acme.test"}, nil); st != 202 {
		t.Fatalf("magic-link for an unknown address: %d, want the same 202", st)
	}
	m := mailTo(t, smtp, 1, "owner@acme.test")
	token := match(t, magicLinkRE, m.Body)

	// A mail scanner prefetching the link (GET) consumes nothing.
	link := magicLinkRE.FindString(m.Body)
	resp, err := http.Get(strings.Replace(link, link[:strings.Index(link, "/console/")], n.base, 1))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET link: %v %v", resp, err)
	}
	resp.Body.Close()

	// Ten parallel consumes: exactly one session.
	ok := parallel(10, 200, func() int {
		return n.call("POST", "/rest/v1/auth/magic-link/consume", "", map[string]string{"token": token}, nil)
	})
	if ok != 1 {
		t.Fatalf("%d of 10 parallel consumes succeeded, want 1", ok)
	}

	// A second link expires at exactly 15 minutes.
	n.call("POST", "/rest/v1/auth/magic-link", "", map[string]string{"email": "owner@acme.test"}, nil)
	second := match(t, magicLinkRE, mailTo(t, smtp, 2, "owner@acme.test").Body)
	clk.Advance(15 * time.Minute)
	var e apiError
	if st := n.call("POST", "/rest/v1/auth/magic-link/consume", "", map[string]string{"token": second}, &e); st != 401 || e.Error.Code != "invalid_token" {
		t.Fatalf("link at 15 min: %d %+v, want 401 invalid_token", st, e)
	}
	if len(smtp.Messages()) != 2 {
		t.Fatalf("%d mails, want 2 (none for the unknown address)", len(smtp.Messages()))
	}
}

func TestPasswordResetThroughSMTPRevokesEverySession(t *testing.T) {
	clk := newTestClock()
	n, smtp := mailNode(t, clk)
	tn := n.registerTenant("Acme", "owner@acme.test", "https://acme.test")
	second := n.login("owner@acme.test", "correct horse battery")
	ctx, cancel := context.WithTimeout(testCtx(t), 30*time.Second)
	defer cancel()
	conn := n.dial(ctx, client.Options{Token: second.AccessToken})

	// A code expires at exactly 10 minutes.
	n.call("POST", "/rest/v1/auth/password/forgot", "", map[string]string{"email": "owner@acme.test"}, nil)
	stale := match(t, resetCodeRE, mailTo(t, smtp, 1, "owner@acme.test").Body)
	clk.Advance(10 * time.Minute)
	var e apiError
	body := map[string]string{"email": "owner@acme.test", "code": stale, "new_password": "a brand new passphrase"}
	if st := n.call("POST", "/rest/v1/auth/password/reset", "", body, &e); st != 401 || e.Error.Code != "invalid_code" {
		t.Fatalf("code at 10 min: %d %+v", st, e)
	}

	// A fresh code, used by ten at once: one reset.
	n.call("POST", "/rest/v1/auth/password/forgot", "", map[string]string{"email": "owner@acme.test"}, nil)
	code := match(t, resetCodeRE, mailTo(t, smtp, 2, "owner@acme.test").Body)
	body["code"] = code
	if ok := parallel(10, 200, func() int { return n.call("POST", "/rest/v1/auth/password/reset", "", body, nil) }); ok != 1 {
		t.Fatalf("%d of 10 parallel resets succeeded, want 1", ok)
	}
	for _, tok := range []string{tn.owner.AccessToken, second.AccessToken} {
		if st := n.call("GET", "/rest/v1/me", tok, nil, nil); st != 401 {
			t.Fatalf("a session survived the reset: %d", st)
		}
	}
	for {
		if _, err := conn.Next(ctx); err != nil {
			if client.CloseStatus(err) != int(wire.CloseSessionRevoked) {
				t.Fatalf("socket ended with %v, want close %d (session revoked)", err, wire.CloseSessionRevoked)
			}
			break
		}
	}
	if st := n.call("POST", "/rest/v1/auth/login", "", map[string]string{"email": "owner@acme.test", "password": "a brand new passphrase"}, nil); st != 200 {
		t.Fatalf("login with the new password: %d", st)
	}
}

func TestInvitationThroughSMTPWorksOnce(t *testing.T) {
	clk := newTestClock()
	n, smtp := mailNode(t, clk)
	tn := n.registerTenant("Acme", "owner@acme.test", "https://acme.test")
	if st := n.call("POST", "/rest/v1/invitations", tn.owner.AccessToken, map[string]string{"email": "new@acme.test", "role": "agent"}, nil); st != 201 {
		t.Fatalf("invite: %d", st)
	}
	token := match(t, inviteRE, mailTo(t, smtp, 1, "new@acme.test").Body)
	accept := map[string]string{"token": token, "name": "New Agent", "password": "another long passphrase"}
	var tok tokens
	if st := n.call("POST", "/rest/v1/invitations/accept", "", accept, &tok); st != 201 || tok.AccessToken == "" {
		t.Fatalf("accept: %d %+v", st, tok)
	}
	var e apiError
	if st := n.call("POST", "/rest/v1/invitations/accept", "", accept, &e); st != 401 || e.Error.Code != "invalid_token" {
		t.Fatalf("second accept: %d %+v", st, e)
	}
	if st := n.call("POST", "/rest/v1/auth/login", "", map[string]string{"email": "new@acme.test", "password": "another long passphrase"}, nil); st != 200 {
		t.Fatalf("login as the invited agent: %d", st)
	}
}
