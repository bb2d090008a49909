package security

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const chatIssuer = "https://hub.example"

func newChatTokens(t *testing.T, clk *fakeClock) (*ChatTokens, *Keyring) {
	t.Helper()
	ring := newRing(t)
	ct, err := NewChatTokens(ring, chatIssuer, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	return ct, ring
}

func chatParams() ChatTokenParams {
	return ChatTokenParams{OrgID: "org_a", CustomerUserID: "cus_1", TokenVersion: 1, KeyID: "key_1", TTL: time.Hour}
}

func issue(t *testing.T, ct *ChatTokens, p ChatTokenParams) string {
	t.Helper()
	tok, _, err := ct.Issue(p)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func wantReason(t *testing.T, err error, reason string, sentinel error) {
	t.Helper()
	if got := ChatTokenReason(err); got != reason || !errors.Is(err, sentinel) {
		t.Fatalf("got %v (reason %q), want reason %q wrapping %v", err, got, reason, sentinel)
	}
}

func TestChatTokenRoundTripAndHeader(t *testing.T) {
	clk := newClock()
	ct, _ := newChatTokens(t, clk)
	tok, issued, err := ct.Issue(chatParams())
	if err != nil {
		t.Fatal(err)
	}
	got, err := ct.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	if got != issued || got.OrgID != "org_a" || got.CustomerUserID != "cus_1" || got.KeyID != "key_1" ||
		got.TokenVersion != 1 || !got.ExpiresAt.Equal(t0.Add(time.Hour)) || got.KeyVersion != 1 || got.ID == "" {
		t.Fatalf("verified %+v, issued %+v", got, issued)
	}
	hdr, payload := decodeParts(t, tok)
	if hdr["alg"] != "EdDSA" || hdr["typ"] != "JWT" || hdr["kid"] != "1" {
		t.Fatalf("header %v", hdr)
	}
	for _, k := range []string{"iss", "aud", "sub", "org", "tokenVersion", "iat", "exp", "jti", "key"} {
		if _, ok := payload[k]; !ok {
			t.Errorf("payload lacks %s: %v", k, payload)
		}
	}
	if payload["iss"] != chatIssuer || payload["aud"] != ChatTokenAudience {
		t.Errorf("iss/aud %v %v", payload["iss"], payload["aud"])
	}
}

// Two ChatTokens over the same keyring (two nodes) verify each other's
// tokens; one over another keyring does not.
func TestChatTokenSharedKeyring(t *testing.T) {
	clk := newClock()
	a, ring := newChatTokens(t, clk)
	b, err := NewChatTokens(ring, chatIssuer, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	tok := issue(t, a, chatParams())
	if _, err := b.Verify(tok); err != nil {
		t.Fatalf("node b: %v", err)
	}
	other, _ := newChatTokens(t, clk)
	_, err = other.Verify(tok)
	wantReason(t, err, ChatReasonSignature, ErrChatTokenInvalid)
}

// Rotation: new tokens carry the new kid, old ones verify until their
// version is retired.
func TestChatTokenKeyRotation(t *testing.T) {
	clk := newClock()
	ct, ring := newChatTokens(t, clk)
	old := issue(t, ct, chatParams())
	if _, err := ring.Rotate(KeyPII, t0); err != nil {
		t.Fatal(err)
	}
	fresh := issue(t, ct, chatParams())
	if hdr, _ := decodeParts(t, fresh); hdr["kid"] != "2" {
		t.Fatalf("kid after rotation %v", hdr["kid"])
	}
	for _, tok := range []string{old, fresh} {
		if _, err := ct.Verify(tok); err != nil {
			t.Fatalf("verify after rotation: %v", err)
		}
	}
	if err := ring.Retire(KeyPII, 1); err != nil {
		t.Fatal(err)
	}
	_, err := ct.Verify(old)
	wantReason(t, err, ChatReasonSignature, ErrChatTokenInvalid)
	if _, err := ct.Verify(fresh); err != nil {
		t.Fatal(err)
	}
}

// exp is exact: valid one second before, expired at exp.
func TestChatTokenExpiryBoundary(t *testing.T) {
	clk := newClock()
	ct, _ := newChatTokens(t, clk)
	tok := issue(t, ct, chatParams())
	clk.Set(time.Hour - time.Second)
	if _, err := ct.Verify(tok); err != nil {
		t.Fatalf("1 s before exp: %v", err)
	}
	clk.Set(time.Hour - time.Millisecond)
	if _, err := ct.Verify(tok); err != nil {
		t.Fatalf("1 ms before exp: %v", err)
	}
	clk.Set(time.Hour)
	_, err := ct.Verify(tok)
	wantReason(t, err, ChatReasonExpired, ErrChatTokenExpired)
	clk.Set(2 * time.Hour)
	_, err = ct.Verify(tok)
	wantReason(t, err, ChatReasonExpired, ErrChatTokenExpired)
}

func TestChatTokenTTLBounds(t *testing.T) {
	for in, want := range map[string]time.Duration{"": 24 * time.Hour, "15m": 15 * time.Minute, "1h": time.Hour,
		"24h": 24 * time.Hour, "7d": 7 * 24 * time.Hour, "1d": 24 * time.Hour, "90m": 90 * time.Minute} {
		if got, err := ParseChatTokenTTL(in); err != nil || got != want {
			t.Errorf("ParseChatTokenTTL(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"14m59s", "8d", "169h", "0", "-1h", "1w", "d", "7.5d", "forever"} {
		if _, err := ParseChatTokenTTL(in); err == nil {
			t.Errorf("ParseChatTokenTTL(%q) accepted", in)
		}
	}
	ct, _ := newChatTokens(t, newClock())
	p := chatParams()
	p.TTL = ChatTokenMaxTTL + time.Second
	if _, _, err := ct.Issue(p); err == nil {
		t.Error("issued a token over 7d")
	}
}

// signWith signs claims with any method and key, optionally with a header
// tweak: the attacker's tokens.
func signWith(t *testing.T, m jwt.SigningMethod, key any, claims jwt.Claims, hdr map[string]any) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, claims)
	tok.Header["kid"] = "1"
	for k, v := range hdr {
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// goodClaims are valid claims for ct's issuer at t0.
func goodClaims() chatClaims {
	ct := ChatToken{ID: "jti1", OrgID: "org_a", CustomerUserID: "cus_1", TokenVersion: 1, KeyID: "key_1",
		IssuedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	return claimsOf(ct, chatIssuer)
}

func TestChatTokenAttacks(t *testing.T) {
	clk := newClock()
	ct, _ := newChatTokens(t, clk)
	priv, err := ct.signingKey(1)
	if err != nil {
		t.Fatal(err)
	}
	pub := priv.Public().(ed25519.PublicKey)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	_, otherEd, _ := ed25519.GenerateKey(rand.Reader)
	mod := func(f func(*chatClaims)) chatClaims { c := goodClaims(); f(&c); return c }
	good := signWith(t, jwt.SigningMethodEdDSA, priv, goodClaims(), nil)
	if _, err := ct.Verify(good); err != nil {
		t.Fatalf("the control token: %v", err)
	}
	noneTok := signWith(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, goodClaims(), nil)
	cases := []struct {
		name, token, reason string
	}{
		{"alg none", noneTok, ChatReasonSignature},
		{"alg none, signature stripped of a good token", replaceHeader(t, good, map[string]any{"alg": "none", "typ": "JWT", "kid": "1"}, true), ChatReasonSignature},
		{"HS256 keyed with the public key", signWith(t, jwt.SigningMethodHS256, []byte(pub), goodClaims(), nil), ChatReasonSignature},
		{"HS256 keyed with the public key, base64", signWith(t, jwt.SigningMethodHS256, []byte(base64.StdEncoding.EncodeToString(pub)), goodClaims(), nil), ChatReasonSignature},
		{"RS256", signWith(t, jwt.SigningMethodRS256, rsaKey, goodClaims(), nil), ChatReasonSignature},
		{"another Ed25519 key", signWith(t, jwt.SigningMethodEdDSA, otherEd, goodClaims(), nil), ChatReasonSignature},
		{"unknown kid", signWith(t, jwt.SigningMethodEdDSA, priv, goodClaims(), map[string]any{"kid": "9"}), ChatReasonSignature},
		{"kid not a version", signWith(t, jwt.SigningMethodEdDSA, priv, goodClaims(), map[string]any{"kid": "01"}), ChatReasonSignature},
		{"no typ", signWith(t, jwt.SigningMethodEdDSA, priv, goodClaims(), map[string]any{"typ": nil}), ChatReasonSignature},
		{"wrong aud", signWith(t, jwt.SigningMethodEdDSA, priv, mod(func(c *chatClaims) { c.Aud = "helpr-agent" }), nil), ChatReasonClaims},
		{"aud as an array", tamperSigned(t, priv, func(p map[string]any) { p["aud"] = []string{ChatTokenAudience} }), ChatReasonMalformed},
		{"no aud", signWith(t, jwt.SigningMethodEdDSA, priv, mod(func(c *chatClaims) { c.Aud = "" }), nil), ChatReasonClaims},
		{"wrong iss", signWith(t, jwt.SigningMethodEdDSA, priv, mod(func(c *chatClaims) { c.Issuer = "https://evil.example" }), nil), ChatReasonClaims},
		{"missing exp", signWith(t, jwt.SigningMethodEdDSA, priv, mod(func(c *chatClaims) { c.ExpiresAt = nil }), nil), ChatReasonClaims},
		{"missing iat", signWith(t, jwt.SigningMethodEdDSA, priv, mod(func(c *chatClaims) { c.IssuedAt = nil }), nil), ChatReasonClaims},
		{"iat 61 s ahead", signWith(t, jwt.SigningMethodEdDSA, priv, mod(func(c *chatClaims) { c.IssuedAt = jwt.NewNumericDate(t0.Add(61 * time.Second)) }), nil), ChatReasonClaims},
		{"nbf 61 s ahead", signWith(t, jwt.SigningMethodEdDSA, priv, mod(func(c *chatClaims) { c.NotBefore = jwt.NewNumericDate(t0.Add(61 * time.Second)) }), nil), ChatReasonClaims},
		{"expired", signWith(t, jwt.SigningMethodEdDSA, priv, mod(func(c *chatClaims) { c.ExpiresAt = jwt.NewNumericDate(t0) }), nil), ChatReasonExpired},
		{"expired 30 s ago (within the iat leeway)", signWith(t, jwt.SigningMethodEdDSA, priv, mod(func(c *chatClaims) { c.ExpiresAt = jwt.NewNumericDate(t0.Add(-30 * time.Second)) }), nil), ChatReasonExpired},
		{"no org", signWith(t, jwt.SigningMethodEdDSA, priv, mod(func(c *chatClaims) { c.Org = "" }), nil), ChatReasonClaims},
		{"no tokenVersion", signWith(t, jwt.SigningMethodEdDSA, priv, mod(func(c *chatClaims) { c.TokenVersion = 0 }), nil), ChatReasonClaims},
		{"no key", signWith(t, jwt.SigningMethodEdDSA, priv, mod(func(c *chatClaims) { c.Key = "" }), nil), ChatReasonClaims},
		{"tampered payload", tamper(t, good, func(p map[string]any) { p["org"] = "org_b" }), ChatReasonSignature},
		{"tampered version", tamper(t, good, func(p map[string]any) { p["tokenVersion"] = 2 }), ChatReasonSignature},
		{"header swapped to HS256", replaceHeader(t, good, map[string]any{"alg": "HS256", "typ": "JWT", "kid": "1"}, false), ChatReasonSignature},
		{"agent access token", mustToken(AccessPrefix), ChatReasonMalformed},
		{"visitor token", mustToken(VisitorPrefix), ChatReasonMalformed},
		{"garbage", "eyJ.a.b", ChatReasonMalformed},
		{"empty", "", ChatReasonMalformed},
		{"oversized", "eyJ" + strings.Repeat("a", maxChatTokenLen) + ".a.b", ChatReasonMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ct.Verify(tc.token)
			if tc.reason == ChatReasonExpired {
				wantReason(t, err, tc.reason, ErrChatTokenExpired)
				return
			}
			if ChatTokenReason(err) == "" || !errors.Is(err, ErrChatTokenInvalid) {
				t.Fatalf("accepted or wrong error: %v", err)
			}
			if got := ChatTokenReason(err); got != tc.reason {
				t.Errorf("reason %q, want %q (%v)", got, tc.reason, err)
			}
		})
	}
}

func mustToken(prefix string) string { tok, _ := NewToken(prefix); return tok }

func decodeParts(t *testing.T, tok string) (map[string]any, map[string]any) {
	t.Helper()
	parts := strings.Split(tok, ".")
	var hdr, payload map[string]any
	for i, dst := range []*map[string]any{&hdr, &payload} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, dst); err != nil {
			t.Fatal(err)
		}
	}
	return hdr, payload
}

func encodePart(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// tamper changes the payload and keeps the original signature.
func tamper(t *testing.T, tok string, f func(map[string]any)) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	_, payload := decodeParts(t, tok)
	f(payload)
	return parts[0] + "." + encodePart(t, payload) + "." + parts[2]
}

// replaceHeader swaps the header, keeping the signature or dropping it.
func replaceHeader(t *testing.T, tok string, hdr map[string]any, dropSig bool) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	if dropSig {
		parts[2] = ""
	}
	return encodePart(t, hdr) + "." + parts[1] + "." + parts[2]
}

// tamperSigned changes the payload of a good token and signs it again
// with the real key (to test decoding rules, not the signature).
func tamperSigned(t *testing.T, priv ed25519.PrivateKey, f func(map[string]any)) string {
	t.Helper()
	good := signWith(t, jwt.SigningMethodEdDSA, priv, goodClaims(), nil)
	parts := strings.Split(tamper(t, good, f), ".")
	sig, err := jwt.SigningMethodEdDSA.Sign(parts[0]+"."+parts[1], priv)
	if err != nil {
		t.Fatal(err)
	}
	return parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(sig)
}
