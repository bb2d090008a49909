package chaos

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// restTimeout bounds one REST call (a deadlock guard: a node waiting on a
// dead store answers within its own store timeout).
const restTimeout = 30 * time.Second

// ownerPassword is every test owner's password.
const ownerPassword = "correct horse battery"

// call sends a JSON request to base and decodes the JSON answer into out
// (if any). It returns the status, 0 when the node did not answer.
func call(base, method, path, token string, body, out any, header ...string) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	c := http.Client{Timeout: restTimeout}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if e, ok := out.(*apiError); ok {
		_ = json.Unmarshal(raw, e)
		return resp.StatusCode, nil
	}
	if out != nil && len(raw) > 0 && resp.StatusCode < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: decode %q: %w", method, path, raw, err)
		}
	}
	return resp.StatusCode, nil
}

// apiError is a REST error answer; passed as call's out, it is decoded
// from an error status.
type apiError struct {
	tokens // a refresh's answer, when it succeeded
	Error  struct {
		Code string `json:"code"`
	} `json:"error"`
}

// tokens is a login or refresh answer.
type tokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int    `json:"expires_in"`
}

// tenant is a registered organisation with a logged-in owner and a widget.
type tenant struct {
	email, ownerID string
	owner          tokens
	widgetKey      string
	origin         string
}

// expect fails with what when code is not want.
func expect(what string, code int, err error, want int) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if code != want {
		return fmt.Errorf("%s: status %d, want %d", what, code, want)
	}
	return nil
}

// registerTenant registers an organisation on base, logs its owner in and
// creates a widget allowed on origin.
func registerTenant(base, name string) (tenant, error) {
	tn := tenant{email: "owner@" + name + ".test", origin: "https://shop." + name + ".test"}
	var reg struct {
		Agent struct{ ID string } `json:"agent"`
	}
	code, err := call(base, "POST", "/rest/v1/auth/register", "", map[string]string{
		"org_name": name, "name": "Owner of " + name, "email": tn.email, "password": ownerPassword,
	}, &reg)
	if err := expect("register", code, err, http.StatusCreated); err != nil {
		return tn, err
	}
	tn.ownerID = reg.Agent.ID
	if tn.owner, err = login(base, tn.email); err != nil {
		return tn, err
	}
	var w struct {
		PublishableKey string `json:"publishable_key"`
	}
	code, err = call(base, "POST", "/rest/v1/widgets", tn.owner.AccessToken, map[string]any{
		"name": "site", "allowed_origins": []string{tn.origin},
	}, &w)
	if err := expect("create widget", code, err, http.StatusCreated); err != nil {
		return tn, err
	}
	tn.widgetKey = w.PublishableKey
	return tn, nil
}

// login logs the owner in on base.
func login(base, email string) (tokens, error) {
	var tk tokens
	code, err := call(base, "POST", "/rest/v1/auth/login", "", map[string]any{"email": email, "password": ownerPassword}, &tk)
	return tk, expect("login", code, err, http.StatusOK)
}

// refresh rotates a refresh token on base.
func refresh(base, rt string) (tokens, int, error) {
	tk, code, _, err := refreshCoded(base, rt)
	return tk, code, err
}

// refreshCoded is refresh that also returns the error code of a refusal.
func refreshCoded(base, rt string) (tokens, int, string, error) {
	var tk tokens
	var e apiError
	code, err := call(base, "POST", "/rest/v1/auth/refresh", "", map[string]any{"refresh_token": rt}, &e)
	if code != 200 || err != nil {
		return tk, code, e.Error.Code, err
	}
	tk = e.tokens
	return tk, code, "", nil
}

// visitorToken starts a visitor session through the tenant's widget.
func visitorToken(base string, tn tenant, name string) (string, error) {
	var vs struct {
		Token string `json:"token"`
	}
	code, err := call(base, "POST", "/rest/v1/visitor/sessions", "", map[string]any{
		"publishable_key": tn.widgetKey, "name": name,
	}, &vs, "Origin", tn.origin)
	return vs.Token, expect("visitor session", code, err, http.StatusCreated)
}
