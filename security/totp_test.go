package security

import (
	"bytes"
	"encoding/base32"
	"encoding/base64"
	"image/png"
	"strings"
	"testing"
	"time"
)

// rfcSecret is the SHA-1 seed of RFC 6238 Appendix B, "12345678901234567890"
// (ASCII), base32-encoded as authenticator apps take it.
var rfcSecret = base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString([]byte("12345678901234567890"))

// rfcVectors are the SHA-1 rows of RFC 6238 Appendix B (8 digits).
var rfcVectors = []struct {
	unix int64
	code string
}{
	{59, "94287082"},
	{1111111109, "07081804"},
	{1111111111, "14050471"},
	{1234567890, "89005924"},
	{2000000000, "69279037"},
	{20000000000, "65353130"},
}

func TestTOTPMatchesRFC6238AppendixB(t *testing.T) {
	for _, v := range rfcVectors {
		now := time.Unix(v.unix, 0)
		got, err := TOTPCode(rfcSecret, TOTPStep(now), 8)
		if err != nil {
			t.Fatal(err)
		}
		if got != v.code {
			t.Errorf("8-digit code at %d = %s, want %s", v.unix, got, v.code)
		}
		// 6 digits are the same truncation modulo 10^6: the last six.
		six, err := TOTPCode(rfcSecret, TOTPStep(now), TOTPDigits)
		if err != nil {
			t.Fatal(err)
		}
		if six != v.code[2:] {
			t.Errorf("6-digit code at %d = %s, want %s", v.unix, six, v.code[2:])
		}
		if step, ok := MatchTOTP(rfcSecret, v.code[2:], now); !ok || step != TOTPStep(now) {
			t.Errorf("MatchTOTP at %d = %d, %v; want step %d", v.unix, step, ok, TOTPStep(now))
		}
	}
}

// One step either side is accepted, two are not (an injected time).
func TestTOTPSkew(t *testing.T) {
	k, err := NewTOTPKey("helpr", "a@example.com")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2030, 5, 6, 7, 8, 15, 0, time.UTC) // mid-step
	cur := TOTPStep(now)
	for d := int64(-3); d <= 3; d++ {
		code, err := TOTPCode(k.Secret, cur+d, TOTPDigits)
		if err != nil {
			t.Fatal(err)
		}
		step, ok := MatchTOTP(k.Secret, code, now)
		want := d >= -1 && d <= 1
		if ok != want || ok && step != cur+d {
			t.Errorf("code of step %+d: matched %v at %d, want %v at %d", d, ok, step, want, cur+d)
		}
	}
	// The step boundary itself: at the first second of the next step, the
	// code two steps back is refused.
	code, _ := TOTPCode(k.Secret, cur-1, TOTPDigits)
	if _, ok := MatchTOTP(k.Secret, code, time.Unix((cur+1)*30, 0)); ok {
		t.Error("a code two steps old matched at the step boundary")
	}
	if _, ok := MatchTOTP(k.Secret, code, time.Unix((cur+1)*30-1, 0)); !ok {
		t.Error("a code one step old did not match one second before the boundary")
	}
}

func TestTOTPRefusesMalformed(t *testing.T) {
	now := time.Unix(59, 0)
	for _, c := range []string{"", "28708", "2870822", "abcdef", "287 082x", "94287082"} {
		if _, ok := MatchTOTP(rfcSecret, c, now); ok {
			t.Errorf("MatchTOTP(%q) matched", c)
		}
	}
	if _, ok := MatchTOTP(rfcSecret, "287 082", now); !ok {
		t.Error("a code with a space inside did not match")
	}
}

func TestNewTOTPKey(t *testing.T) {
	k, err := NewTOTPKey("helpr", "a@example.com")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(k.Secret)
	if err != nil || len(raw) != 20 {
		t.Fatalf("secret %q: %d bytes, %v; want 20", k.Secret, len(raw), err)
	}
	for _, want := range []string{"otpauth://totp/helpr:a@example.com?", "issuer=helpr", "secret=" + k.Secret,
		"algorithm=SHA1", "digits=6", "period=30"} {
		if !strings.Contains(k.URL, want) {
			t.Errorf("url %q lacks %q", k.URL, want)
		}
	}
	k2, _ := NewTOTPKey("helpr", "a@example.com")
	if k2.Secret == k.Secret {
		t.Error("two keys share a secret")
	}
}

func TestTOTPQRCodeIsAPNG(t *testing.T) {
	u, err := TOTPQRCode("otpauth://totp/helpr:a@example.com?secret=JBSWY3DPEHPK3PXP&issuer=helpr")
	if err != nil {
		t.Fatal(err)
	}
	const prefix = "data:image/png;base64,"
	if !strings.HasPrefix(u, prefix) {
		t.Fatalf("not a PNG data URL: %.40s", u)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(u, prefix))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(bytes.NewReader(raw)); err != nil {
		t.Fatalf("decode png: %v", err)
	}
}

func TestBackupCodes(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		c := NewBackupCode()
		if len(c) != 11 || c[5] != '-' {
			t.Fatalf("code %q is not xxxxx-xxxxx", c)
		}
		n, ok := NormalizeBackupCode(strings.ToUpper(c))
		if !ok || n != strings.ReplaceAll(c, "-", "") {
			t.Fatalf("normalise %q = %q, %v", c, n, ok)
		}
		if seen[c] {
			t.Fatalf("duplicate code %q", c)
		}
		seen[c] = true
	}
	for _, bad := range []string{"", "abcde-fghi", "abcde-fghijk", "abcde-fgh1j", "abcde-fghlj"} {
		if _, ok := NormalizeBackupCode(bad); ok {
			t.Errorf("NormalizeBackupCode(%q) accepted", bad)
		}
	}
}
