package security

import (
	"bytes"
	"hash/crc32"
	"strings"
	"testing"
	"time"
)

// Every kind and mode formats as prefix + 32 base62 + a 6-character base62
// CRC-32, parses back to its kind and mode, and keys differ.
func TestAPIKeyFormat(t *testing.T) {
	seen := map[string]bool{}
	for _, tc := range []struct{ kind, mode, prefix string }{
		{KeyKindSecret, KeyModeLive, "sk_live_"}, {KeyKindSecret, KeyModeTest, "sk_test_"},
		{KeyKindPublishable, KeyModeLive, "pk_live_"}, {KeyKindPublishable, KeyModeTest, "pk_test_"},
	} {
		for range 50 {
			k, err := NewAPIKey(tc.kind, tc.mode)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(k, tc.prefix) || len(k) != len(tc.prefix)+KeyRandomLen+KeyChecksumLen {
				t.Fatalf("key %q: want prefix %s and %d characters", k, tc.prefix, len(tc.prefix)+38)
			}
			for _, c := range k[len(tc.prefix):] {
				if !strings.ContainsRune(base62, c) {
					t.Fatalf("key %q: %q is not base62", k, c)
				}
			}
			info, ok := ParseKey(k)
			if !ok || info.Kind != tc.kind || info.Mode != tc.mode {
				t.Fatalf("ParseKey(%q) = %+v, %v", k, info, ok)
			}
			if seen[k] {
				t.Fatalf("key %q issued twice", k)
			}
			seen[k] = true
			if p := KeyPrefix(k); p != k[:12] || !strings.HasPrefix(p, tc.prefix) {
				t.Fatalf("KeyPrefix(%q) = %q", k, p)
			}
		}
	}
	if _, err := NewAPIKey("other", KeyModeLive); err == nil {
		t.Error("unknown kind accepted")
	}
	if _, err := NewAPIKey(KeyKindSecret, "prod"); err == nil {
		t.Error("unknown mode accepted")
	}
}

// The checksum is the CRC-32 (IEEE) of everything before it, in base62,
// zero-padded: a known vector pins the encoding.
func TestAPIKeyChecksumVector(t *testing.T) {
	body := "sk_test_" + strings.Repeat("0", KeyRandomLen)
	v := crc32.ChecksumIEEE([]byte(body))
	var want []byte
	for range KeyChecksumLen {
		want = append([]byte{base62[v%62]}, want...)
		v /= 62
	}
	if got := keyChecksum(body); got != string(want) {
		t.Fatalf("checksum %q, want %q", got, want)
	}
	if _, ok := ParseKey(body + string(want)); !ok {
		t.Fatal("the vector does not parse")
	}
	if keyChecksum("") != "000000" {
		t.Fatalf("CRC-32 of nothing is 0: want 000000, got %q", keyChecksum(""))
	}
}

// A key with any one character changed, cut, extended, of another kind
// prefix or with non-base62 characters is refused by ParseKey alone.
func TestParseKeyRefusesAlteredKeys(t *testing.T) {
	k, err := NewAPIKey(KeyKindSecret, KeyModeLive)
	if err != nil {
		t.Fatal(err)
	}
	for i := 8; i < len(k); i++ {
		for _, c := range []byte{'0', 'a', 'Z'} {
			if k[i] == c {
				continue
			}
			b := []byte(k)
			b[i] = c
			if _, ok := ParseKey(string(b)); ok {
				t.Errorf("key with position %d changed to %q parsed", i, c)
			}
		}
	}
	for _, bad := range []string{
		"", k[:len(k)-1], k + "0", "rk" + k[2:], "sk_prod_" + k[8:], "SK" + k[2:], "sk-live_" + k[8:],
		k[:20] + "-" + k[21:], k[:20] + "é" + k[22:], "pk_" + strings.Repeat("a", 43), "hla_" + k[4:],
	} {
		if _, ok := ParseKey(bad); ok {
			t.Errorf("ParseKey(%q) accepted", bad)
		}
	}
}

// KeyedHashes covers every live blind-index version, current first, so a
// key created before a blind-index rotation is still found after it.
func TestKeyedHashesAcrossRotation(t *testing.T) {
	k, err := NewKeyring(time.Unix(1_767_225_600, 0))
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewFieldCipher(k)
	if err != nil {
		t.Fatal(err)
	}
	stored := c.KeyedHash(KeyPurposeAPIKey, "sk_live_x")
	if hs := c.KeyedHashes(KeyPurposeAPIKey, "sk_live_x"); len(hs) != 1 || !bytes.Equal(hs[0], stored) {
		t.Fatalf("one version: hashes %x, want [%x]", hs, stored)
	}
	if _, err := k.Rotate(KeyBlindIndex, time.Unix(1_767_225_700, 0)); err != nil {
		t.Fatal(err)
	}
	hs := c.KeyedHashes(KeyPurposeAPIKey, "sk_live_x")
	if len(hs) != 2 || !bytes.Equal(hs[0], c.KeyedHash(KeyPurposeAPIKey, "sk_live_x")) || !bytes.Equal(hs[1], stored) {
		t.Fatalf("after rotation: hashes %x, want [current, %x]", hs, stored)
	}
	if bytes.Equal(hs[0], hs[1]) {
		t.Fatal("two versions gave the same hash")
	}
}
