package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SecretPrefix starts every endpoint secret.
const SecretPrefix = "whsec_"

// NewSecret returns a new endpoint signing secret: "whsec_" and 32 random
// bytes in unpadded base64url.
func NewSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return SecretPrefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// Signature header limits: ParseSignatureHeader refuses anything longer
// or with more signatures, before any other work.
const (
	MaxSignatureHeaderBytes = 512
	MaxSignatures           = 4
)

// DefaultTolerance is the replay window receivers should use with Verify.
const DefaultTolerance = 5 * time.Minute

// Errors of ParseSignatureHeader and Verify. Every Verify failure wraps
// ErrSignature.
var (
	ErrSignature       = errors.New("webhook: invalid signature")
	ErrHeaderMalformed = fmt.Errorf("%w: malformed header", ErrSignature)
	ErrTimestamp       = fmt.Errorf("%w: timestamp outside the tolerance", ErrSignature)
	ErrNoMatch         = fmt.Errorf("%w: no signature matches", ErrSignature)
)

// mac returns HMAC-SHA-256(secret, "<unix>.<body>").
func mac(secret string, unix int64, body []byte) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(strconv.FormatInt(unix, 10)))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Sign returns the signature header for one secret:
// "t=<unix seconds>,v1=<hex HMAC-SHA-256(secret, t + "." + body)>".
func Sign(secret string, t time.Time, body []byte) string {
	return SignatureHeader([]string{secret}, t, body)
}

// SignatureHeader returns the header with one v1 signature per secret, in
// order: "t=..,v1=..,v1=..". During a secret rotation it carries the new
// and the previous secret's signatures, so a receiver holding either
// verifies. Empty secrets are skipped.
func SignatureHeader(secrets []string, t time.Time, body []byte) string {
	unix := t.Unix()
	var b strings.Builder
	b.WriteString("t=")
	b.WriteString(strconv.FormatInt(unix, 10))
	for _, s := range secrets {
		if s == "" {
			continue
		}
		b.WriteString(",v1=")
		b.WriteString(hex.EncodeToString(mac(s, unix, body)))
	}
	return b.String()
}

// ParseSignatureHeader parses a signature header strictly: at most
// MaxSignatureHeaderBytes, comma-separated "key=value" pairs with exactly
// one t (decimal Unix seconds, positive, no sign or leading zero) and one
// to MaxSignatures v1 values (64 lower-case hex digits each). Pairs of
// other schemes (a later "v2=") are ignored so the format can grow; any
// whitespace, empty pair or duplicate t is an error.
func ParseSignatureHeader(h string) (t int64, sigs [][]byte, err error) {
	if len(h) == 0 || len(h) > MaxSignatureHeaderBytes {
		return 0, nil, ErrHeaderMalformed
	}
	seenT := false
	for pair := range strings.SplitSeq(h, ",") {
		k, v, ok := strings.Cut(pair, "=")
		if !ok || k == "" || v == "" {
			return 0, nil, ErrHeaderMalformed
		}
		switch k {
		case "t":
			if seenT {
				return 0, nil, ErrHeaderMalformed
			}
			seenT = true
			if t, err = parseUnix(v); err != nil {
				return 0, nil, err
			}
		case "v1":
			if len(sigs) == MaxSignatures {
				return 0, nil, ErrHeaderMalformed
			}
			sig, err := parseSig(v)
			if err != nil {
				return 0, nil, err
			}
			sigs = append(sigs, sig)
		default:
			if !schemeName(k) {
				return 0, nil, ErrHeaderMalformed
			}
		}
	}
	if !seenT || len(sigs) == 0 {
		return 0, nil, ErrHeaderMalformed
	}
	return t, sigs, nil
}

// parseUnix parses a positive decimal Unix time of at most 12 digits.
func parseUnix(v string) (int64, error) {
	if len(v) > 12 || v[0] == '0' {
		return 0, ErrHeaderMalformed
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0, ErrHeaderMalformed
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, ErrHeaderMalformed
	}
	return n, nil
}

// parseSig decodes 64 lower-case hex digits.
func parseSig(v string) ([]byte, error) {
	if len(v) != 2*sha256.Size {
		return nil, ErrHeaderMalformed
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return nil, ErrHeaderMalformed
		}
	}
	sig, err := hex.DecodeString(v)
	if err != nil {
		return nil, ErrHeaderMalformed
	}
	return sig, nil
}

// schemeName reports whether k looks like a signature scheme ("v2").
func schemeName(k string) bool {
	if len(k) < 2 || len(k) > 8 || k[0] != 'v' {
		return false
	}
	for i := 1; i < len(k); i++ {
		if k[i] < '0' || k[i] > '9' {
			return false
		}
	}
	return true
}

// Verify checks a signature header against body with secret: the header
// parses (ParseSignatureHeader), its timestamp is within tolerance of now
// (either side; tolerance <= 0 means DefaultTolerance) and one of its v1
// signatures equals the expected HMAC, compared in constant time (every
// signature is compared, a match does not stop the loop). Errors wrap
// ErrSignature.
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	t, sigs, err := ParseSignatureHeader(header)
	if err != nil {
		return err
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	skew := now.Sub(time.Unix(t, 0))
	if skew > tolerance || skew < -tolerance {
		return ErrTimestamp
	}
	want := mac(secret, t, body)
	match := 0
	for _, sig := range sigs {
		match |= hmacEqual(sig, want)
	}
	if match != 1 {
		return ErrNoMatch
	}
	return nil
}

// hmacEqual is 1 when a equals b, in constant time.
func hmacEqual(a, b []byte) int {
	if hmac.Equal(a, b) {
		return 1
	}
	return 0
}
