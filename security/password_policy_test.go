package security

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// The limits count characters, not bytes: "€" is 3 bytes in UTF-8, so 128
// of them (384 bytes) are a valid password and 129 are not; 11 are too
// short even though they are 33 bytes.
func TestPasswordLengthCountsCharacters(t *testing.T) {
	ctx := context.Background()
	h := newHasher(t, HasherConfig{})
	for _, c := range []struct {
		n    int
		want error
	}{{11, ErrPasswordTooShort}, {12, nil}, {64, nil}, {128, nil}, {129, ErrPasswordTooLong}} {
		pw := strings.Repeat("€", c.n)
		if err := ValidatePassword(pw); !errors.Is(err, c.want) {
			t.Errorf("ValidatePassword(%d × €, %d bytes) = %v, want %v", c.n, len(pw), err, c.want)
		}
		enc, err := h.Hash(ctx, pw)
		if !errors.Is(err, c.want) {
			t.Errorf("Hash(%d × €) = %v, want %v", c.n, err, c.want)
		}
		if err != nil {
			continue
		}
		if ok, rehash, err := h.Verify(ctx, enc, pw); !ok || rehash || err != nil {
			t.Errorf("Verify(%d × €) = %v, %v, %v; want true, false, nil", c.n, ok, rehash, err)
		}
	}
	if !PasswordTooLong(strings.Repeat("€", 129)) || PasswordTooLong(strings.Repeat("€", 128)) {
		t.Error("PasswordTooLong does not draw the line between 128 and 129 characters")
	}
}

// Passwords that are the same under NFKC (full-width letters, a combining
// accent instead of a precomposed one, a ligature) are one password.
func TestNFKCEquivalentPasswordsVerify(t *testing.T) {
	ctx := context.Background()
	h := newHasher(t, HasherConfig{})
	for _, c := range [][2]string{
		{"ｐａｓｓｗｏｒｄ１２３４", "password1234"},
		{"cafe\u0301-au-lait-42", "caf\u00e9-au-lait-42"},
		{"\ufb01ne-horse-battery", "fine-horse-battery"},
	} {
		enc, err := h.Hash(ctx, c[0])
		if err != nil {
			t.Fatalf("Hash(%q): %v", c[0], err)
		}
		for _, pw := range c {
			if ok, rehash, err := h.Verify(ctx, enc, pw); !ok || rehash || err != nil {
				t.Errorf("hash of %q, Verify(%q) = %v, %v, %v; want true, false, nil", c[0], pw, ok, rehash, err)
			}
		}
		if ok, _, _ := h.Verify(ctx, enc, c[1]+"x"); ok {
			t.Errorf("hash of %q matched another password", c[0])
		}
	}
}

// oldHash makes a hash the way Hash did before normalisation: Argon2id of
// the password as typed.
func oldHash(h *Hasher, pw string) string {
	a := argonHash{params: h.params, salt: randomBytes(saltLen)}
	a.key = a.params.key(pw, a.salt, keyLen)
	return a.String()
}

// Hashes stored before NFKC normalisation still verify with the password
// as typed, and ask to be rehashed into the normalised form.
func TestHashMadeBeforeNormalisationStillVerifies(t *testing.T) {
	ctx := context.Background()
	h := newHasher(t, HasherConfig{})
	typed := "ｐａｓｓｗｏｒｄ１２３４" // not NFKC: its NFKC form is "password1234"
	enc := oldHash(h, typed)
	if ok, rehash, err := h.Verify(ctx, enc, typed); !ok || !rehash || err != nil {
		t.Fatalf("old hash, Verify(as typed) = %v, %v, %v; want true, true, nil", ok, rehash, err)
	}
	if ok, _, _ := h.Verify(ctx, enc, "password1234x"); ok {
		t.Fatal("old hash matched a wrong password")
	}
	ascii := oldHash(h, "plain-ascii-password")
	if ok, rehash, err := h.Verify(ctx, ascii, "plain-ascii-password"); !ok || rehash || err != nil {
		t.Fatalf("old hash of an NFKC password = %v, %v, %v; want true, false, nil", ok, rehash, err)
	}
	legacy := mustBcrypt(t, "caf\u00e9-legacy-pw")
	if ok, rehash, err := h.Verify(ctx, legacy, "caf\u00e9-legacy-pw"); !ok || !rehash || err != nil {
		t.Fatalf("bcrypt hash = %v, %v, %v; want true, true, nil", ok, rehash, err)
	}
}

// Argon2id reads its whole input: two passwords that share their first 72
// bytes (bcrypt's truncation point) are two passwords.
func TestPasswordsSharingFirst72BytesDiffer(t *testing.T) {
	ctx := context.Background()
	h := newHasher(t, HasherConfig{})
	prefix := strings.Repeat("€", 24) // 72 bytes
	enc, err := h.Hash(ctx, prefix+"a")
	if err != nil {
		t.Fatal(err)
	}
	if ok, _, err := h.Verify(ctx, enc, prefix+"b"); ok || err != nil {
		t.Fatalf("Verify(same first 72 bytes) = %v, %v; want false, nil", ok, err)
	}
	if ok, _, err := h.Verify(ctx, enc, prefix+"a"); !ok || err != nil {
		t.Fatalf("Verify(right) = %v, %v", ok, err)
	}
	if !strings.HasPrefix(enc, "$argon2id$") {
		t.Fatalf("new hashes are %q, want argon2id (bcrypt truncates at 72 bytes)", enc[:7])
	}
}
