package webhook

import (
	"bytes"
	"encoding/hex"
	"strconv"
	"strings"
	"testing"
	"time"
)

// FuzzSignatureHeader: ParseSignatureHeader never panics, never accepts
// more than the limits, and what it accepts re-encodes to a header that
// parses to the same values; Verify never panics and accepts a header
// only when one of its signatures is the true HMAC within the tolerance.
func FuzzSignatureHeader(f *testing.F) {
	secret := "whsec_fuzz"
	body := []byte(`{"id":"whd_1"}`)
	f.Add(Sign(secret, time.Unix(1700000000, 0), body), body)
	f.Add(SignatureHeader([]string{secret, "whsec_old"}, time.Unix(1700000000, 0), body), body)
	f.Add("t=1700000000,v1="+strings.Repeat("0", 64)+",v2=abc", []byte("x"))
	f.Add("t=1,v1=", []byte{})
	f.Add(",,,=", []byte{})
	f.Fuzz(func(t *testing.T, header string, payload []byte) {
		ts, sigs, err := ParseSignatureHeader(header)
		if err == nil {
			if len(header) > MaxSignatureHeaderBytes || len(sigs) == 0 || len(sigs) > MaxSignatures || ts <= 0 {
				t.Fatalf("accepted %q: t=%d, %d sigs", header, ts, len(sigs))
			}
			var b strings.Builder
			b.WriteString("t=" + strconv.FormatInt(ts, 10))
			for _, s := range sigs {
				if len(s) != 32 {
					t.Fatalf("signature of %d bytes", len(s))
				}
				b.WriteString(",v1=" + hex.EncodeToString(s))
			}
			ts2, sigs2, err := ParseSignatureHeader(b.String())
			if err != nil || ts2 != ts || len(sigs2) != len(sigs) {
				t.Fatalf("re-encoded %q does not parse back: %v", b.String(), err)
			}
			for i := range sigs {
				if !bytes.Equal(sigs[i], sigs2[i]) {
					t.Fatal("signature changed on re-encoding")
				}
			}
		}
		now := time.Unix(ts, 0)
		if Verify(secret, header, payload, now, time.Minute) == nil {
			want := mac(secret, ts, payload)
			found := false
			for _, s := range sigs {
				found = found || bytes.Equal(s, want)
			}
			if !found {
				t.Fatalf("Verify accepted %q without a true signature", header)
			}
		}
	})
}
