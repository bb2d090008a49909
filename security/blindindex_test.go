package security

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"regexp"
	"testing"
)

func TestBlindIndexFormatAndNormalisation(t *testing.T) {
	k, c := newCipher(t)
	ix := c.BlindIndex("org_a", "vera@example.test")
	key, _ := k.Current(KeyBlindIndex)
	m := hmac.New(sha256.New, key.Secret)
	m.Write([]byte(blindIndexContext))
	m.Write([]byte{0, 0, 0, 5})
	m.Write([]byte("org_a"))
	m.Write([]byte("vera@example.test"))
	want := binary.BigEndian.AppendUint32(nil, 1)
	want = m.Sum(want)
	if !bytes.Equal(ix, want) || len(ix) != 36 {
		t.Fatalf("index %x, want version 1 || HMAC-SHA-256 = %x", ix, want)
	}
	if bytes.Equal(c.BlindIndex("org_b", "vera@example.test"), ix) {
		t.Fatal("the same email indexes alike in two organisations: tenants are linkable")
	}
	if bytes.Equal(c.BlindIndex("org_", "avera@example.test"), ix) {
		t.Fatal("organisation and email run together")
	}
	for _, variant := range []string{"  Vera@Example.TEST\n", "VERA@EXAMPLE.TEST", "\tvera@example.test "} {
		if !bytes.Equal(c.BlindIndex("org_a", variant), ix) {
			t.Errorf("%q indexes differently", variant)
		}
	}
	for _, other := range []string{"vera+1@example.test", "v.era@example.test", "vera@example.tes"} {
		if bytes.Equal(c.BlindIndex("org_a", other), ix) {
			t.Errorf("%q indexes like vera@example.test", other)
		}
	}
	for _, empty := range []string{"", "   "} {
		if c.BlindIndex("org_a", empty) != nil || c.BlindIndexes("org_a", empty) != nil {
			t.Errorf("%q has an index", empty)
		}
	}
	_, c2 := newCipher(t)
	if bytes.Equal(c2.BlindIndex("org_a", "vera@example.test"), ix) {
		t.Fatal("index does not depend on the key")
	}
}

func TestBlindIndexesFollowRotationAndRetirement(t *testing.T) {
	k, c := newCipher(t)
	v1 := c.BlindIndex("org_a", "vera@example.test")
	if _, err := k.Rotate(KeyBlindIndex, t0); err != nil {
		t.Fatal(err)
	}
	v2 := c.BlindIndex("org_a", "vera@example.test")
	if v, _ := blindIndexVersion(v2); v != 2 || bytes.Equal(v1[4:], v2[4:]) {
		t.Fatalf("index after rotate: version %d", v)
	}
	all := c.BlindIndexes("org_a", "Vera@example.test")
	if len(all) != 2 || !bytes.Equal(all[0], v2) || !bytes.Equal(all[1], v1) {
		t.Fatalf("indexes during rotation: %x, want [v2 v1]", all)
	}
	if err := k.Retire(KeyBlindIndex, 1); err != nil {
		t.Fatal(err)
	}
	all = c.BlindIndexes("org_a", "vera@example.test")
	if len(all) != 1 || !bytes.Equal(all[0], v2) {
		t.Fatalf("indexes after retiring v1: %x", all)
	}
}

func TestPseudonym(t *testing.T) {
	k, c := newCipher(t)
	p := c.Pseudonym("vis_1")
	if !regexp.MustCompile(`^anon_[a-z2-7]{26}$`).MatchString(p) {
		t.Fatalf("pseudonym %q", p)
	}
	if c.Pseudonym("vis_1") != p || c.Pseudonym("vis_2") == p {
		t.Fatal("pseudonym not deterministic per subject")
	}
	_, other := newCipher(t)
	if other.Pseudonym("vis_1") == p {
		t.Fatal("pseudonym does not depend on the key")
	}
	if _, err := k.Rotate(KeyPseudonym, t0); err != nil {
		t.Fatal(err)
	}
	p2 := c.Pseudonym("vis_1")
	if p2 == p {
		t.Fatal("pseudonym unchanged by a pseudonym key rotation")
	}
	if all := c.Pseudonyms("vis_1"); len(all) != 2 || all[0] != p2 || all[1] != p {
		t.Fatalf("pseudonyms during rotation: %v, want [%s %s]", all, p2, p)
	}
	if err := k.Retire(KeyPseudonym, 1); err != nil {
		t.Fatal(err)
	}
	if all := c.Pseudonyms("vis_1"); len(all) != 1 || all[0] != p2 {
		t.Fatalf("pseudonyms after retiring v1: %v", all)
	}
}
