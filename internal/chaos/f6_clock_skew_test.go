package chaos

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

// clockSkew is how far ahead F6 runs one node's clock.
const clockSkew = 2 * time.Minute

// F6: one node's clock runs 2 minutes ahead (HELPR_CLOCK_OFFSET). Access
// tokens issued by either side are accepted by the other; messages sent
// through the fast node and a normal one keep the store's seq order (the
// order never comes from a clock); the shared login limit admits at most
// twice its limit across the skew; and the line reports what the refresh
// grace window does across the skew.
func TestF6ClockSkew(t *testing.T) {
	slowCase(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := newCluster(t, 3, nil, nil, []string{"HELPR_CLOCK_OFFSET=" + clockSkew.String()})
	normal, fast := c.nodes[0], c.nodes[2]
	if !strings.Contains(notable(fast.logs), "HELPR_CLOCK_OFFSET") {
		t.Errorf("the fast node did not warn about its offset")
	}

	// Tokens cross the skew both ways.
	fromFast, err := login(fast.base, c.tn.email)
	if err != nil {
		t.Fatal(err)
	}
	tokenOK := 0
	for _, tc := range []struct {
		base, tok string
	}{{normal.base, fromFast.AccessToken}, {fast.base, c.tn.owner.AccessToken}} {
		if code, err := call(tc.base, "GET", "/rest/v1/me", tc.tok, nil, nil); err != nil || code != http.StatusOK {
			t.Errorf("GET /me across the skew: %d %v", code, err)
		} else {
			tokenOK++
		}
	}

	// Order: the visitor on the fast node, the agent on a normal one.
	ch := c.newChat(ctx, "f6", 2, 0)
	tr := startTraffic(ctx, ch, 20*time.Millisecond)
	tr.waitAcked(ctx, 60)
	sent, acked := tr.finish()
	start := time.Now()
	rec, ok := settle(ctx, start, acked, ch.peers())
	if !ok {
		t.Errorf("peers did not converge")
	}

	// Grace window: a rotation on the normal node, the same old token
	// presented again on the fast one (a second tab), within seconds.
	grace := graceAcrossSkew(c, normal.base, fast.base)

	// Login limit: wrong passwords on the normal node, then the fast one.
	allowed := loginAttemptsAllowed(normal.base, fast.base, "nobody@f6.test")
	const limit = 5 // transport/api DefaultLoginLimit
	if allowed > 2*limit {
		t.Errorf("%d failed logins allowed across the skew, more than twice the limit %d", allowed, limit)
	}
	verdict(sent, acked, ch.peers()).report(t, "F6", "clock-skew-2m", rec,
		"tokens_across="+itoa(tokenOK)+"/2", "login_allowed="+itoa(allowed)+"/limit5", "grace_across="+grace)
	checkErrs(t, tr)
	cancel()
}

// graceAcrossSkew rotates a fresh refresh token on one node and presents
// the old one again on the other; it returns what that second refresh
// answered: "same-pair" (the grace window held), or the status.
func graceAcrossSkew(c *cluster, first, second string) string {
	tk, err := login(first, c.tn.email)
	if err != nil {
		return "login-failed"
	}
	a, code, err := refresh(first, tk.RefreshToken)
	if err != nil || code != http.StatusOK {
		return "rotate-" + itoa(code)
	}
	var e apiError
	code, err = call(second, "POST", "/rest/v1/auth/refresh", "", map[string]any{"refresh_token": tk.RefreshToken}, &e)
	if err != nil {
		return "error"
	}
	if code == http.StatusOK {
		b, _, _ := refresh(first, tk.RefreshToken) // within grace: the same pair again
		if b.RefreshToken == a.RefreshToken {
			return "same-pair"
		}
		return "other-pair"
	}
	me, _ := call(first, "GET", "/rest/v1/me", a.AccessToken, nil, nil)
	return itoa(code) + ":" + e.Error.Code + ",session_after=" + itoa(me)
}

// loginAttemptsAllowed sends wrong-password logins, ten on base1 then ten
// on base2, and counts the ones not refused with 429.
func loginAttemptsAllowed(base1, base2, email string) int {
	allowed := 0
	for _, base := range []string{base1, base2} {
		for range 10 {
			code, _ := call(base, "POST", "/rest/v1/auth/login", "", map[string]any{"email": email, "password": "wrong password!"}, nil)
			if code != http.StatusTooManyRequests {
				allowed++
			}
		}
	}
	return allowed
}
