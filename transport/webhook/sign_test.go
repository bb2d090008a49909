package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// independentSig computes the v1 signature from the documented scheme
// alone: hex(HMAC-SHA-256(secret, "<unix>.<body>")).
func independentSig(secret string, unix int64, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(m, "%d.", unix)
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

func TestSignMatchesIndependentHMAC(t *testing.T) {
	body := []byte(`{"id":"whd_1","type":"message.created"}`)
	secret := NewSecret()
	got := Sign(secret, t0, body)
	want := fmt.Sprintf("t=%d,v1=%s", t0.Unix(), independentSig(secret, t0.Unix(), body))
	if got != want {
		t.Fatalf("Sign = %q, want %q", got, want)
	}
	if err := Verify(secret, got, body, t0.Add(time.Minute), 0); err != nil {
		t.Fatalf("Verify of a fresh signature: %v", err)
	}
}

func TestNewSecretFormat(t *testing.T) {
	a, b := NewSecret(), NewSecret()
	if !strings.HasPrefix(a, "whsec_") || len(a) != len("whsec_")+43 || a == b {
		t.Fatalf("secrets %q %q", a, b)
	}
}

func TestSignatureHeaderCarriesBothSecretsDuringRotation(t *testing.T) {
	body := []byte(`{"x":1}`)
	next, prev := NewSecret(), NewSecret()
	h := SignatureHeader([]string{next, prev}, t0, body)
	want := fmt.Sprintf("t=%d,v1=%s,v1=%s", t0.Unix(), independentSig(next, t0.Unix(), body),
		independentSig(prev, t0.Unix(), body))
	if h != want {
		t.Fatalf("header %q, want %q", h, want)
	}
	for _, s := range []string{next, prev} {
		if err := Verify(s, h, body, t0, time.Minute); err != nil {
			t.Errorf("Verify with one of the two secrets: %v", err)
		}
	}
	if err := Verify(NewSecret(), h, body, t0, time.Minute); !errors.Is(err, ErrNoMatch) {
		t.Errorf("Verify with a third secret: %v", err)
	}
}

// Verify refuses: a replay older than the tolerance, a timestamp too far
// in the future, a changed body, a changed timestamp, a wrong secret.
func TestVerifyRefusesReplaysAndTampering(t *testing.T) {
	body := []byte(`{"amount":1}`)
	secret := NewSecret()
	h := Sign(secret, t0, body)
	cases := []struct {
		name   string
		header string
		body   []byte
		now    time.Time
		want   error
	}{
		{"replay after the tolerance", h, body, t0.Add(5*time.Minute + time.Second), ErrTimestamp},
		{"at the tolerance", h, body, t0.Add(5 * time.Minute), nil},
		{"from the future", h, body, t0.Add(-6 * time.Minute), ErrTimestamp},
		{"changed body", h, []byte(`{"amount":9}`), t0, ErrNoMatch},
		{"changed timestamp", strings.Replace(h, fmt.Sprint(t0.Unix()), fmt.Sprint(t0.Unix()+1), 1), body, t0, ErrNoMatch},
		{"signature of another secret", Sign(NewSecret(), t0, body), body, t0, ErrNoMatch},
		{"garbage", "v1=abc", body, t0, ErrHeaderMalformed},
	}
	for _, c := range cases {
		err := Verify(secret, c.header, c.body, c.now, 5*time.Minute)
		if !errors.Is(err, c.want) || (c.want != nil && !errors.Is(err, ErrSignature)) {
			t.Errorf("%s: Verify = %v, want %v", c.name, err, c.want)
		}
	}
}

func TestParseSignatureHeaderStrict(t *testing.T) {
	sig := strings.Repeat("ab", 32)
	good := "t=1700000000,v1=" + sig
	ts, sigs, err := ParseSignatureHeader(good + ",v2=zz")
	if err != nil || ts != 1700000000 || len(sigs) != 1 || hex.EncodeToString(sigs[0]) != sig {
		t.Fatalf("parse good header: %d %x %v", ts, sigs, err)
	}
	bad := []string{
		"", "t=1700000000", "v1=" + sig, "t=,v1=" + sig, "t=01700000000,v1=" + sig, "t=-1,v1=" + sig,
		"t=+1,v1=" + sig, "t=1 ,v1=" + sig, " t=1,v1=" + sig, "t=1,v1=" + sig + ",", "t=1,,v1=" + sig,
		"t=1,t=2,v1=" + sig, "t=1,v1=" + strings.ToUpper(sig), "t=1,v1=" + sig[:62], "t=1,v1=" + sig + "00",
		"t=1,v1", "t=1,x=y,v1=" + sig, "t=1," + strings.Repeat("v1="+sig+",", 4) + "v1=" + sig,
		"t=9999999999999,v1=" + sig, "t=1,v1=" + sig + "," + strings.Repeat("v2=x,", 100),
	}
	for _, h := range bad {
		if _, _, err := ParseSignatureHeader(h); !errors.Is(err, ErrHeaderMalformed) {
			t.Errorf("ParseSignatureHeader(%.60q) = %v, want malformed", h, err)
		}
	}
}
