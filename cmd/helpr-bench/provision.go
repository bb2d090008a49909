package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// benchOrigin is the browser origin bench visitors claim; the bench widget
// allows exactly it.
const benchOrigin = "https://bench.helpr.test"

// restClient calls helpr's REST API (docs/api.md). Safe for concurrent use.
type restClient struct {
	base string
	hc   *http.Client
}

func newREST(base string, hc *http.Client) *restClient {
	return &restClient{base: strings.TrimSuffix(base, "/"), hc: hc}
}

// apiError is a non-2xx answer.
type apiError struct {
	Status int
	Code   string
	Path   string
}

func (e *apiError) Error() string { return fmt.Sprintf("%s: http %d %s", e.Path, e.Status, e.Code) }

// do sends in as JSON (when non-nil) and decodes the answer into out (when
// non-nil). token, when set, is sent as a bearer token; origin as Origin.
func (c *restClient) do(ctx context.Context, method, path, token, origin string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode %s: %w", path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return fmt.Errorf("request %s: %w", path, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error struct{ Code string } `json:"error"`
		}
		_ = json.Unmarshal(b, &e)
		return &apiError{Status: resp.StatusCode, Code: e.Error.Code, Path: path}
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("decode %s: %w", path, err)
		}
	}
	return nil
}

// tokens are a sign-in's or refresh's answer.
type tokens struct {
	Access  string `json:"access_token"`
	Refresh string `json:"refresh_token"`
}

func (c *restClient) register(ctx context.Context, org, email, password string) error {
	in := map[string]string{"org_name": org, "name": "Bench owner", "email": email, "password": password}
	return c.do(ctx, http.MethodPost, "/rest/v1/auth/register", "", "", in, nil)
}

func (c *restClient) login(ctx context.Context, email, password string) (tokens, error) {
	var t tokens
	in := map[string]any{"email": email, "password": password}
	err := c.do(ctx, http.MethodPost, "/rest/v1/auth/login", "", "", in, &t)
	if err == nil && (t.Access == "" || t.Refresh == "") {
		err = errors.New("login: answer without tokens")
	}
	return t, err
}

func (c *restClient) refresh(ctx context.Context, refreshToken string) (tokens, error) {
	var t tokens
	in := map[string]string{"refresh_token": refreshToken}
	err := c.do(ctx, http.MethodPost, "/rest/v1/auth/refresh", "", "", in, &t)
	if err == nil && (t.Access == "" || t.Refresh == "") {
		err = errors.New("refresh: answer without tokens")
	}
	return t, err
}

func (c *restClient) createWidget(ctx context.Context, token string) (key string, err error) {
	var w struct {
		Key string `json:"publishable_key"`
	}
	in := map[string]any{"name": "bench", "allowed_origins": []string{benchOrigin}}
	if err := c.do(ctx, http.MethodPost, "/rest/v1/widgets", token, "", in, &w); err != nil {
		return "", err
	}
	return w.Key, nil
}

func (c *restClient) createAgent(ctx context.Context, token, email, password string) error {
	in := map[string]string{"name": "Bench agent", "email": email, "role": "agent", "password": password}
	if err := c.do(ctx, http.MethodPost, "/rest/v1/agents", token, "", in, nil); err != nil {
		return fmt.Errorf("%w (the bench creates agents with passwords: run helpr serve with --load-test-agent-passwords)", err)
	}
	return nil
}

// visitorSession starts a visitor through the bench widget, as a browser on
// benchOrigin would.
func (c *restClient) visitorSession(ctx context.Context, key string) (string, error) {
	var s struct {
		Token string `json:"token"`
	}
	in := map[string]string{"publishable_key": key}
	if err := c.do(ctx, http.MethodPost, "/rest/v1/visitor/sessions?publishable_key="+key, "", benchOrigin, in, &s); err != nil {
		var ae *apiError
		if errors.As(err, &ae) && ae.Status == http.StatusTooManyRequests {
			return "", fmt.Errorf("%w%s", err, hintVisitorLimits)
		}
		return "", err
	}
	if s.Token == "" {
		return "", errors.New("visitor session: answer without token")
	}
	return s.Token, nil
}

// Hints for refusals by helpr's abuse limits, which a load test from one
// address through one widget must turn off on the server.
const (
	hintVisitorLimits = " (the server limits visitor sessions per IP and per widget: for load tests start it with" +
		" --visitor-sessions-per-ip off --visitor-sessions-per-widget off)"
	hintConversationLimit = " (the server limits new conversations per visitor: for load tests start it with" +
		" --conversations-per-visitor off)"
)

// refusalHint explains an error frame a load test can cause by leaving the
// server's conversation limit on ("" for any other).
func refusalHint(code string, retryAfter int) string {
	if code == "rate_limited" && retryAfter > 0 { // a per-visitor limit; the frame budget sends none
		return hintConversationLimit
	}
	return ""
}

// tenant is what a run provisioned: an owner, agent accounts (owner first)
// and a widget.
type tenant struct {
	Password    string
	Emails      []string // agent accounts; Emails[0] is the owner
	Tokens      []tokens // Tokens[i] signs in Emails[i]
	WidgetKey   string
	OwnerAccess string
}

// provision registers an organisation (or signs in with the given
// credentials), creates the bench widget and agents more agent accounts.
func provision(ctx context.Context, c *restClient, email, password string, agents int) (*tenant, error) {
	suffix := randomHex(6)
	if email == "" {
		email, password = "owner-"+suffix+"@bench.helpr.test", "bench-"+randomHex(12)
		if err := c.register(ctx, "Bench "+suffix, email, password); err != nil {
			return nil, fmt.Errorf("register organisation: %w", err)
		}
	}
	t := &tenant{Password: password}
	owner, err := c.login(ctx, email, password)
	if err != nil {
		return nil, fmt.Errorf("sign in owner: %w", err)
	}
	t.OwnerAccess = owner.Access
	t.Emails, t.Tokens = []string{email}, []tokens{owner}
	if t.WidgetKey, err = c.createWidget(ctx, owner.Access); err != nil {
		return nil, fmt.Errorf("create widget: %w", err)
	}
	for i := 1; i < agents; i++ {
		e := fmt.Sprintf("agent-%d-%s@bench.helpr.test", i, suffix)
		if err := c.createAgent(ctx, owner.Access, e, password); err != nil {
			return nil, fmt.Errorf("create agent %d: %w", i, err)
		}
		tk, err := c.login(ctx, e, password)
		if err != nil {
			return nil, fmt.Errorf("sign in agent %d: %w", i, err)
		}
		t.Emails, t.Tokens = append(t.Emails, e), append(t.Tokens, tk)
	}
	return t, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// newHTTPClient is tuned for many concurrent requests to few hosts.
func newHTTPClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = 256, 256
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}
