package security

import (
	"errors"
	"strconv"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// LooksLikeChatToken reports whether s has the shape of a JWT (three
// base64url parts, a JSON header): how the WebSocket and the visitor
// session endpoint tell a chat token from an hlv_ session token without
// parsing it. A match is not a valid token.
func LooksLikeChatToken(s string) bool {
	return len(s) <= maxChatTokenLen && strings.HasPrefix(s, "eyJ") && strings.Count(s, ".") == 2
}

// Verify checks a chat token's signature and claims: the algorithm is
// EdDSA (nothing else is even tried: not none, not HS256 keyed with the
// public key, not RS256), typ is JWT, kid names a live pii key version, iss
// is this hub, aud is ChatTokenAudience, exp is present and not reached
// (no leeway: the token is refused from the second exp names), iat is
// present and nbf (if any) and iat are at most 60 s ahead, and sub, org,
// key, jti and tokenVersion are set. The store checks (customer user,
// version, organisation, issuing key) are the caller's. Errors are
// *ChatTokenError.
func (t *ChatTokens) Verify(raw string) (ChatToken, error) {
	if !LooksLikeChatToken(raw) {
		return ChatToken{}, ChatTokenRefused(ChatReasonMalformed)
	}
	var c chatClaims
	var version uint32
	_, err := t.parser.ParseWithClaims(raw, &c, func(tok *jwt.Token) (any, error) {
		v, err := t.checkHeader(tok)
		if err != nil {
			return nil, err
		}
		priv, err := t.signingKey(v)
		if err != nil {
			return nil, err
		}
		version = v
		return priv.Public(), nil
	})
	if err != nil {
		return ChatToken{}, ChatTokenRefused(parseFailure(err))
	}
	ct, err := tokenOf(c, version)
	if err != nil {
		return ChatToken{}, err
	}
	if !t.now().Before(ct.ExpiresAt) {
		return ChatToken{}, ChatTokenRefused(ChatReasonExpired)
	}
	return ct, nil
}

// errBadHeader: a header the key function refuses.
var errBadHeader = errors.New("chat token header refused")

// checkHeader pins the method to Ed25519 (besides WithValidMethods), typ to
// JWT and returns the kid as a pii key version.
func (t *ChatTokens) checkHeader(tok *jwt.Token) (uint32, error) {
	if _, ok := tok.Method.(*jwt.SigningMethodEd25519); !ok {
		return 0, errBadHeader
	}
	if typ, _ := tok.Header["typ"].(string); typ != "JWT" {
		return 0, errBadHeader
	}
	kid, _ := tok.Header["kid"].(string)
	v, err := strconv.ParseUint(kid, 10, 32)
	if err != nil || v == 0 || strconv.FormatUint(v, 10) != kid {
		return 0, errBadHeader
	}
	return uint32(v), nil
}

// parseFailure names the reason of a parser error.
func parseFailure(err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return ChatReasonExpired
	case errors.Is(err, jwt.ErrTokenMalformed):
		return ChatReasonMalformed
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		return ChatReasonSignature
	default: // audience, issuer, iat/nbf, a required claim missing
		return ChatReasonClaims
	}
}

// tokenOf turns verified claims into a ChatToken, refusing missing ones.
func tokenOf(c chatClaims, version uint32) (ChatToken, error) {
	if c.Subject == "" || c.Org == "" || c.Key == "" || c.ID == "" || c.TokenVersion < 1 ||
		c.IssuedAt == nil || c.ExpiresAt == nil {
		return ChatToken{}, ChatTokenRefused(ChatReasonClaims)
	}
	return ChatToken{ID: c.ID, OrgID: c.Org, CustomerUserID: c.Subject, TokenVersion: c.TokenVersion,
		KeyID: c.Key, KeyVersion: version, IssuedAt: c.IssuedAt.UTC(), ExpiresAt: c.ExpiresAt.UTC()}, nil
}
