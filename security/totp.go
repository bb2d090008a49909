package security

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"
	"github.com/skip2/go-qrcode"
)

// TOTP parameters (RFC 6238): HMAC-SHA-1, 6 digits, 30-second steps, and
// codes of one step either side of the current one accepted (clock drift).
const (
	TOTPDigits = 6
	TOTPPeriod = 30 * time.Second
	TOTPSkew   = 1
	// totpSecretSize is the secret's length in bytes: 160 bits, the
	// HMAC-SHA-1 output size RFC 4226 §4 recommends.
	totpSecretSize = 20
)

// TOTPKey is a new TOTP secret for an authenticator app.
type TOTPKey struct {
	Secret string // base32, no padding
	URL    string // otpauth://totp/… for the QR code
}

// NewTOTPKey returns a new random secret for account (an email) of issuer.
func NewTOTPKey(issuer, account string) (TOTPKey, error) {
	k, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: account, Period: uint(TOTPPeriod / time.Second),
		SecretSize: totpSecretSize, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1, Rand: rand.Reader})
	if err != nil {
		return TOTPKey{}, fmt.Errorf("generate totp secret: %w", err)
	}
	return TOTPKey{Secret: k.Secret(), URL: k.URL()}, nil
}

// TOTPStep is the RFC 6238 time step T of t: whole periods since the Unix
// epoch.
func TOTPStep(t time.Time) int64 { return t.Unix() / int64(TOTPPeriod/time.Second) }

// TOTPCode returns the code of secret (base32) at step, digits long
// (6 in use; 8 for the RFC's test vectors).
func TOTPCode(secret string, step int64, digits int) (string, error) {
	return hotp.GenerateCodeCustom(secret, uint64(step), hotp.ValidateOpts{
		Digits: otp.Digits(digits), Algorithm: otp.AlgorithmSHA1})
}

// MatchTOTP reports whether code is secret's 6-digit code at a step
// within TOTPSkew of now, and which step. Every candidate step is
// computed and compared in constant time. It does not remember anything:
// the caller records the step (storage.MFAStore.UseTOTPStep) so that a
// code is accepted once.
func MatchTOTP(secret, code string, now time.Time) (step int64, ok bool) {
	code = NormalizeTOTPCode(code)
	if len(code) != TOTPDigits {
		return 0, false
	}
	cur := TOTPStep(now)
	for s := cur - TOTPSkew; s <= cur+TOTPSkew; s++ {
		want, err := TOTPCode(secret, s, TOTPDigits)
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && !ok {
			step, ok = s, true
		}
	}
	return step, ok
}

// NormalizeTOTPCode strips the spaces apps show inside codes.
func NormalizeTOTPCode(code string) string { return strings.ReplaceAll(code, " ", "") }

// TOTPQRCode returns url as a QR code PNG in a data: URL
// (data:image/png;base64,…).
func TOTPQRCode(url string) (string, error) {
	png, err := qrcode.Encode(url, qrcode.Medium, 256)
	if err != nil {
		return "", fmt.Errorf("qr code: %w", err)
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(png), nil
}
