package security

import (
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Chat tokens are the JWTs a customer's backend obtains for one of its own
// users (POST /rest/v1/auth/token) and hands to the widget. They are signed
// with EdDSA (Ed25519) only. The signing key is not stored anywhere: every
// node derives it from the keyring's pii key with HKDF-SHA-256 (info
// ChatTokenKeyInfo), so all nodes sharing a keyring sign and verify alike,
// and the token's kid is the pii key version it was derived from. Rotating
// the pii key moves new tokens to the new version; tokens of the old one
// verify until they expire or the old version is retired.
const (
	// ChatTokenAudience is every chat token's aud.
	ChatTokenAudience = "helpr-chat"
	// ChatTokenKeyInfo is the HKDF info string of the signing key.
	ChatTokenKeyInfo = "helpr/chat-token/v1"
	// ChatTokenMinTTL, ChatTokenMaxTTL and ChatTokenDefaultTTL bound a
	// token's lifetime (expiresIn).
	ChatTokenMinTTL     = 15 * time.Minute
	ChatTokenMaxTTL     = 7 * 24 * time.Hour
	ChatTokenDefaultTTL = 24 * time.Hour
	// chatTokenSkew is how far iat and nbf may lie in the future (clock
	// skew between nodes). exp has no leeway at all.
	chatTokenSkew = 60 * time.Second
	// maxChatTokenLen refuses oversized input before any parsing.
	maxChatTokenLen = 2048
)

// Chat token errors. ErrChatTokenExpired is a token that was valid and has
// run out (the widget should fetch a new one); every other refusal wraps
// ErrChatTokenInvalid. Both come as a *ChatTokenError naming the reason.
var (
	ErrChatTokenExpired = errors.New("security: chat token expired")
	ErrChatTokenInvalid = errors.New("security: invalid chat token")
)

// ErrChatSessionLimited reports that a visitor session was not started
// from a (valid or not yet checked) chat token because the client IP or
// the widget reached its visitor-session limit: retry later.
var ErrChatSessionLimited = errors.New("security: too many visitor sessions, retry later")

// Reasons a chat token is refused: the label of
// helpr_chat_token_failures_total. The first four are found by Verify, the
// others by the checks against the store (transport/api).
const (
	ChatReasonMalformed    = "malformed"     // not a JWT, or not one of ours
	ChatReasonSignature    = "signature"     // bad signature, algorithm, typ or kid
	ChatReasonExpired      = "expired"       // exp reached
	ChatReasonClaims       = "claims"        // aud, iss, iat/nbf, a required claim missing
	ChatReasonCustomerUser = "customer_user" // unknown or erased customer user
	ChatReasonTokenVersion = "token_version" // invalidated (stale tokenVersion)
	ChatReasonOrganization = "organization"  // another organisation's token or widget
	ChatReasonAgent        = "agent"         // issuing key revoked or its owner inactive
)

// ChatTokenError is a refused chat token: Reason for metrics and logs, Err
// ErrChatTokenExpired or ErrChatTokenInvalid. Its text never holds the token.
type ChatTokenError struct {
	Reason string
	Err    error
}

func (e *ChatTokenError) Error() string { return e.Err.Error() + " (" + e.Reason + ")" }

// Unwrap returns ErrChatTokenExpired or ErrChatTokenInvalid.
func (e *ChatTokenError) Unwrap() error { return e.Err }

// ChatTokenRefused returns the error for a token refused for reason.
func ChatTokenRefused(reason string) error {
	if reason == ChatReasonExpired {
		return &ChatTokenError{Reason: reason, Err: ErrChatTokenExpired}
	}
	return &ChatTokenError{Reason: reason, Err: ErrChatTokenInvalid}
}

// ChatTokenReason returns the reason of a refused chat token, "" for any
// other error.
func ChatTokenReason(err error) string {
	var e *ChatTokenError
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}

// ChatToken is what a chat token says.
type ChatToken struct {
	ID             string // jti
	OrgID          string // org
	CustomerUserID string // sub
	TokenVersion   int64  // tokenVersion
	KeyID          string // key: the API key that issued it (DevKeyID for dev tokens)
	KeyVersion     uint32 // kid: the pii key version the signing key derives from
	IssuedAt       time.Time
	ExpiresAt      time.Time
}

// DevKeyID is the key claim of tokens minted by POST /auth/dev-token: no
// API key issued them, so they are refused unless the server runs --dev.
const DevKeyID = "dev"

// chatClaims is the JWT payload. Aud shadows the embedded audience so that
// aud is one string ("helpr-chat"), not an array; an array does not decode.
type chatClaims struct {
	jwt.RegisteredClaims
	Aud          string `json:"aud"`
	Org          string `json:"org"`
	TokenVersion int64  `json:"tokenVersion"`
	Key          string `json:"key"`
}

// ChatTokens issues and verifies chat tokens. Safe for concurrent use.
type ChatTokens struct {
	ring   *Keyring
	issuer string
	now    func() time.Time
	parser *jwt.Parser

	mu   sync.Mutex
	keys map[uint32]ed25519.PrivateKey // derived keys by pii version
}

// NewChatTokens returns chat tokens signed under ring's pii key with iss
// issuer (the hub's public origin). now nil means time.Now.
func NewChatTokens(ring *Keyring, issuer string, now func() time.Time) (*ChatTokens, error) {
	if ring == nil || issuer == "" {
		return nil, errors.New("chat tokens: a keyring and an issuer are required")
	}
	if _, err := ring.Current(KeyPII); err != nil {
		return nil, fmt.Errorf("chat tokens: %w", err)
	}
	if now == nil {
		now = time.Now
	}
	t := &ChatTokens{ring: ring, issuer: issuer, now: now, keys: map[uint32]ed25519.PrivateKey{}}
	t.parser = jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
		jwt.WithAudience(ChatTokenAudience),
		jwt.WithIssuer(issuer),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(chatTokenSkew), // iat and nbf; exp is checked exactly in Verify
		jwt.WithTimeFunc(now),
		jwt.WithStrictDecoding(),
	)
	return t, nil
}

// Issuer returns the iss of the tokens.
func (t *ChatTokens) Issuer() string { return t.issuer }

// signingKey derives (once per version) the Ed25519 key of pii version v,
// refusing a retired or unknown version.
func (t *ChatTokens) signingKey(v uint32) (ed25519.PrivateKey, error) {
	k, err := t.ring.Key(KeyPII, v)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if priv, ok := t.keys[v]; ok {
		return priv, nil
	}
	seed, err := hkdf.Key(sha256.New, k.Secret, nil, ChatTokenKeyInfo, ed25519.SeedSize)
	if err != nil {
		return nil, fmt.Errorf("derive chat token key: %w", err)
	}
	priv := ed25519.NewKeyFromSeed(seed)
	t.keys[v] = priv
	return priv, nil
}

// ChatTokenParams describes a token to issue.
type ChatTokenParams struct {
	OrgID          string
	CustomerUserID string
	TokenVersion   int64
	KeyID          string
	TTL            time.Duration // ChatTokenMinTTL..ChatTokenMaxTTL
}

// Issue signs a new token under the current pii key version. iat is now
// (whole seconds) and exp iat+TTL.
func (t *ChatTokens) Issue(p ChatTokenParams) (string, ChatToken, error) {
	if p.OrgID == "" || p.CustomerUserID == "" || p.KeyID == "" || p.TokenVersion < 1 {
		return "", ChatToken{}, errors.New("issue chat token: organisation, customer user, key and version are required")
	}
	if err := CheckChatTokenTTL(p.TTL); err != nil {
		return "", ChatToken{}, err
	}
	cur, err := t.ring.Current(KeyPII)
	if err != nil {
		return "", ChatToken{}, fmt.Errorf("issue chat token: %w", err)
	}
	priv, err := t.signingKey(cur.Version)
	if err != nil {
		return "", ChatToken{}, fmt.Errorf("issue chat token: %w", err)
	}
	iat := t.now().UTC().Truncate(time.Second)
	id, _ := NewToken("")
	ct := ChatToken{ID: id[:22], OrgID: p.OrgID, CustomerUserID: p.CustomerUserID, TokenVersion: p.TokenVersion,
		KeyID: p.KeyID, KeyVersion: cur.Version, IssuedAt: iat, ExpiresAt: iat.Add(p.TTL)}
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claimsOf(ct, t.issuer))
	tok.Header["kid"] = strconv.FormatUint(uint64(cur.Version), 10)
	signed, err := tok.SignedString(priv)
	if err != nil {
		return "", ChatToken{}, fmt.Errorf("sign chat token: %w", err)
	}
	return signed, ct, nil
}

// GetAudience is the one audience (for the parser's WithAudience).
func (c chatClaims) GetAudience() (jwt.ClaimStrings, error) { return jwt.ClaimStrings{c.Aud}, nil }

func claimsOf(ct ChatToken, issuer string) chatClaims {
	return chatClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: issuer, Subject: ct.CustomerUserID,
			IssuedAt: jwt.NewNumericDate(ct.IssuedAt), ExpiresAt: jwt.NewNumericDate(ct.ExpiresAt), ID: ct.ID,
		},
		Aud: ChatTokenAudience, Org: ct.OrgID, TokenVersion: ct.TokenVersion, Key: ct.KeyID,
	}
}

// CheckChatTokenTTL refuses a lifetime outside ChatTokenMinTTL..ChatTokenMaxTTL.
func CheckChatTokenTTL(ttl time.Duration) error {
	if ttl < ChatTokenMinTTL || ttl > ChatTokenMaxTTL {
		return fmt.Errorf("expiresIn must be between 15m and 7d, got %s", ttl)
	}
	return nil
}

// ParseChatTokenTTL reads expiresIn: "" means ChatTokenDefaultTTL; a Go
// duration ("15m", "1h30m", "24h") or whole days ("7d"); the result must
// lie within ChatTokenMinTTL..ChatTokenMaxTTL.
func ParseChatTokenTTL(s string) (time.Duration, error) {
	if s == "" {
		return ChatTokenDefaultTTL, nil
	}
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > 7 {
			return 0, fmt.Errorf("expiresIn %q is not a duration between 15m and 7d", s)
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, fmt.Errorf("expiresIn %q is not a duration such as 15m, 1h, 24h or 7d", s)
		}
	}
	return d, CheckChatTokenTTL(d)
}
