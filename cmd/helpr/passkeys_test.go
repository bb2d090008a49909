package main

import (
	"encoding/json"
	"net"
	"testing"

	"github.com/descope/virtualwebauthn"
	"github.com/helpr-chat/helpr/internal/webauthntest"
)

// A hub started the way the README starts one (no --public-url, loopback
// listener) is a WebAuthn relying party for "localhost": a passkey
// registered and used from http://localhost:PORT signs in, and the same
// assertion made on http://127.0.0.1:PORT (an origin a browser cannot use
// with that RP id) is refused.
func TestPasskeyOnTheDefaultLoopbackHub(t *testing.T) {
	n := startNode(t, t.TempDir(), "127.0.0.1:0")
	_, port, _ := net.SplitHostPort(n.addr())
	console := "http://localhost:" + port
	tn := n.registerTenant("Keys", "keys@acme.test", console)
	rp := virtualwebauthn.RelyingParty{ID: "localhost", Name: "helpr", Origin: console}
	auth := virtualwebauthn.NewAuthenticatorWithOptions(virtualwebauthn.AuthenticatorOptions{UserHandle: []byte(tn.ownerID)})
	cred := webauthntest.NewEC2Credential()

	begin := n.rawCall(t, "POST", "/rest/v1/auth/passkeys/register/begin", tn.owner.AccessToken, nil, 200)
	opts, err := virtualwebauthn.ParseAttestationOptions(string(begin))
	if err != nil {
		t.Fatal(err)
	}
	if opts.RelyingPartyID != "localhost" {
		t.Fatalf("rp id %q, want localhost", opts.RelyingPartyID)
	}
	attestation := json.RawMessage(virtualwebauthn.CreateAttestationResponse(rp, auth, cred, *opts))
	n.rawCall(t, "POST", "/rest/v1/auth/passkeys/register/finish", tn.owner.AccessToken,
		map[string]any{"name": "laptop", "credential": attestation}, 201)

	assertFor := func(origin string) json.RawMessage {
		raw := n.rawCall(t, "POST", "/rest/v1/auth/passkeys/login/begin", "", map[string]any{}, 200)
		o, err := virtualwebauthn.ParseAssertionOptions(string(raw))
		if err != nil {
			t.Fatal(err)
		}
		cred.Counter++
		return json.RawMessage(virtualwebauthn.CreateAssertionResponse(
			virtualwebauthn.RelyingParty{ID: "localhost", Origin: origin}, auth, cred, *o))
	}
	n.rawCall(t, "POST", "/rest/v1/auth/passkeys/login/finish", "",
		map[string]any{"credential": assertFor("http://127.0.0.1:" + port)}, 401)
	var tk tokens
	raw := n.rawCall(t, "POST", "/rest/v1/auth/passkeys/login/finish", "",
		map[string]any{"credential": assertFor(console), "remember": true}, 200)
	if err := json.Unmarshal(raw, &tk); err != nil || tk.AccessToken == "" {
		t.Fatalf("sign-in answered %s", raw)
	}
	var me struct{ ID string }
	if code := n.call("GET", "/rest/v1/me", tk.AccessToken, nil, &me); code != 200 || me.ID != tn.ownerID {
		t.Fatalf("me: %d %+v", code, me)
	}
}

// rawCall sends a JSON request, requires status want and returns the body.
func (n *node) rawCall(t *testing.T, method, path, token string, body any, want int) []byte {
	t.Helper()
	var out json.RawMessage
	code := n.call(method, path, token, body, &out)
	if code != want {
		t.Fatalf("%s %s: status %d, want %d; body %s", method, path, code, want, out)
	}
	return out
}
