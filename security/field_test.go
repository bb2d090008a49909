package security

import (
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// newCipher returns a fresh keyring and a field cipher over it.
func newCipher(t testing.TB) (*Keyring, *FieldCipher) {
	t.Helper()
	k := newRing(t)
	c, err := NewFieldCipher(k)
	if err != nil {
		t.Fatalf("NewFieldCipher: %v", err)
	}
	return k, c
}

func mustSeal(t testing.TB, c *FieldCipher, plain, record, field string) string {
	t.Helper()
	s, err := c.Seal(plain, record, field)
	if err != nil {
		t.Fatalf("seal: %v", err)
	}
	return s
}

var envelopeRE = regexp.MustCompile(`^hpe1:pii:([1-9][0-9]*):[A-Za-z0-9_-]+$`)

func TestSealOpenRoundTrip(t *testing.T) {
	_, c := newCipher(t)
	for _, plain := range []string{"a", "Vera Müller", "vera@example.test", strings.Repeat("x", 5000), "\x00:hpe1:"} {
		s := mustSeal(t, c, plain, "vis_1", "visitor.name")
		if !envelopeRE.MatchString(s) {
			t.Fatalf("envelope %q does not match %s", s, envelopeRE)
		}
		if len(plain) >= 8 && strings.Contains(s, plain) { // short ones may occur in base64 by chance
			t.Fatalf("envelope holds the plaintext")
		}
		raw, _ := base64.RawURLEncoding.DecodeString(s[strings.LastIndexByte(s, ':')+1:])
		if len(raw) != ivLen+len(plain)+tagLen {
			t.Fatalf("payload %d bytes, want IV(16) + %d + tag(16)", len(raw), len(plain))
		}
		got, err := c.Open(s, "vis_1", "visitor.name")
		if err != nil || got != plain {
			t.Fatalf("open: %q, %v", got, err)
		}
	}
}

func TestSealUsesFreshIV(t *testing.T) {
	_, c := newCipher(t)
	a := mustSeal(t, c, "same", "vis_1", "visitor.name")
	b := mustSeal(t, c, "same", "vis_1", "visitor.name")
	if a == b || a[:30] == b[:30] {
		t.Fatalf("two seals of one value share an IV:\n%s\n%s", a, b)
	}
}

func TestSealEmptyAndMissingBinding(t *testing.T) {
	_, c := newCipher(t)
	if s, err := c.Seal("", "vis_1", "visitor.name"); s != "" || err != nil {
		t.Fatalf(`seal "": %q, %v`, s, err)
	}
	if s, err := c.Open("", "vis_1", "visitor.name"); s != "" || err != nil {
		t.Fatalf(`open "": %q, %v`, s, err)
	}
	for _, rf := range [][2]string{{"", "visitor.name"}, {"vis_1", ""}} {
		if s, err := c.Seal("x", rf[0], rf[1]); err == nil || s != "" {
			t.Fatalf("seal with record %q field %q: %q, %v", rf[0], rf[1], s, err)
		}
	}
	if _, err := NewFieldCipher(nil); err == nil {
		t.Fatal("cipher over a nil keyring")
	}
}

// openFails checks that Open fails with want, returns "" and keeps the
// plaintext out of the error.
func openFails(t *testing.T, c *FieldCipher, sealed, record, field, plain string, want error) error {
	t.Helper()
	got, err := c.Open(sealed, record, field)
	if !errors.Is(err, want) || got != "" {
		t.Fatalf("open: %q, %v; want \"\" and %v", got, err, want)
	}
	if plain != "" && strings.Contains(err.Error(), plain) {
		t.Fatalf("error %q holds the value", err)
	}
	if strings.Contains(err.Error(), sealed) {
		t.Fatalf("error %q holds the envelope", err)
	}
	return err
}

func TestOpenRefusesOtherRecordOrField(t *testing.T) {
	_, c := newCipher(t)
	s := mustSeal(t, c, "canary-name", "vis_1", "visitor.name")
	openFails(t, c, s, "vis_2", "visitor.name", "canary-name", ErrDecrypt)
	openFails(t, c, s, "vis_1", "visitor.email", "canary-name", ErrDecrypt)
	// length-prefixed binding: moving bytes between record and field fails too
	s = mustSeal(t, c, "canary-name", "ab", "c")
	openFails(t, c, s, "a", "bc", "canary-name", ErrDecrypt)
}

func TestOpenRefusesEveryFlippedBit(t *testing.T) {
	_, c := newCipher(t)
	s := mustSeal(t, c, "canary", "vis_1", "visitor.name")
	i := strings.LastIndexByte(s, ':') + 1
	payload, _ := base64.RawURLEncoding.DecodeString(s[i:])
	for bit := range len(payload) * 8 {
		p := append([]byte(nil), payload...)
		p[bit/8] ^= 1 << (bit % 8)
		openFails(t, c, s[:i]+base64.RawURLEncoding.EncodeToString(p), "vis_1", "visitor.name", "canary", ErrDecrypt)
	}
}

func TestOpenRefusesMalformedEnvelopes(t *testing.T) {
	_, c := newCipher(t)
	good := mustSeal(t, c, "canary", "vis_1", "visitor.name")
	payload := good[strings.LastIndexByte(good, ':')+1:]
	for _, bad := range []string{
		"canary",                                       // legacy plaintext
		"hpe2:pii:1:" + payload,                        // unknown format
		"hpe1:blind-index:1:" + payload,                // not a sealing key
		"hpe1:pii:0:" + payload,                        // version 0
		"hpe1:pii:01:" + payload,                       // non-canonical version
		"hpe1:pii:-1:" + payload,                       // negative
		"hpe1:pii:4294967296:" + payload,               // beyond uint32
		"hpe1:pii:1:" + payload + "=",                  // padded
		"hpe1:pii:1:" + payload[:len(payload)-1] + "+", // not base64url
		"hpe1:pii:1:" + payload[:40],                   // shorter than IV and tag
		"hpe1:pii:1",                                   // no payload
	} {
		openFails(t, c, bad, "vis_1", "visitor.name", "canary", ErrMalformedEnvelope)
	}
}

func TestOpenNamesMissingOrRetiredVersion(t *testing.T) {
	k, c := newCipher(t)
	v1 := mustSeal(t, c, "canary", "vis_1", "visitor.name")
	if _, err := k.Rotate(KeyPII, t0); err != nil {
		t.Fatal(err)
	}
	v2 := mustSeal(t, c, "canary", "vis_1", "visitor.name")
	if !strings.HasPrefix(v2, "hpe1:pii:2:") {
		t.Fatalf("seal after rotate: %s", v2[:12])
	}
	if got, err := c.Open(v1, "vis_1", "visitor.name"); err != nil || got != "canary" {
		t.Fatalf("old version after rotate: %q, %v", got, err)
	}
	// a keyring that never had v2 (a node not yet given the rotated keyring)
	_, other := newCipher(t)
	err := openFails(t, other, v2, "vis_1", "visitor.name", "canary", ErrKeyNotFound)
	if !strings.Contains(err.Error(), "pii v2") || !strings.Contains(err.Error(), "visitor.name") {
		t.Fatalf("error %q does not name the key version and field", err)
	}
	if err := k.Retire(KeyPII, 1); err != nil {
		t.Fatal(err)
	}
	err = openFails(t, c, v1, "vis_1", "visitor.name", "canary", ErrKeyRetired)
	if !strings.Contains(err.Error(), "pii v1") {
		t.Fatalf("error %q does not name the retired version", err)
	}
	// other key material under the same version number is an authentication failure
	openFails(t, other, v1, "vis_1", "visitor.name", "canary", ErrDecrypt)
}

func TestFieldCipherIsSafeDuringRotation(t *testing.T) {
	k, c := newCipher(t)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for g := range 4 {
		wg.Go(func() {
			for i := range 200 {
				rec := fmt.Sprintf("vis_%d_%d", g, i)
				s, err := c.Seal("canary", rec, "visitor.name")
				if err == nil {
					var got string
					got, err = c.Open(s, rec, "visitor.name")
					if err == nil && got != "canary" {
						err = fmt.Errorf("opened %q", got)
					}
				}
				if err == nil && len(c.BlindIndexes("org_a", "a@example.test")) == 0 {
					err = errors.New("no blind index")
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	for range 20 {
		if _, err := k.Rotate(KeyPII, t0); err != nil {
			t.Fatal(err)
		}
		if _, err := k.Rotate(KeyBlindIndex, t0); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if cur, _ := k.Current(KeyPII); cur.Version != 21 {
		t.Fatalf("current pii v%d after 20 rotations", cur.Version)
	}
}
