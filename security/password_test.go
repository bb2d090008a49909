package security

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

func newHasher(t testing.TB, cfg HasherConfig) *Hasher {
	t.Helper()
	h, err := NewHasher(cfg)
	if err != nil {
		t.Fatalf("NewHasher: %v", err)
	}
	return h
}

func mustBcrypt(t testing.TB, pw string) string {
	t.Helper()
	b, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var phcPattern = regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)

func TestHashIsArgon2idPHCAndVerifies(t *testing.T) {
	ctx := context.Background()
	h := newHasher(t, HasherConfig{})
	enc, err := h.Hash(ctx, "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !phcPattern.MatchString(enc) {
		t.Fatalf("hash %q is not a default argon2id PHC string", enc)
	}
	if ok, rehash, err := h.Verify(ctx, enc, "correct horse"); !ok || rehash || err != nil {
		t.Fatalf("Verify(right) = %v, %v, %v; want true, false, nil", ok, rehash, err)
	}
	if ok, rehash, err := h.Verify(ctx, enc, "correct horsE"); ok || rehash || err != nil {
		t.Fatalf("Verify(wrong) = %v, %v, %v; want false, false, nil", ok, rehash, err)
	}
	again, _ := h.Hash(ctx, "correct horse")
	if again == enc {
		t.Fatal("two hashes of one password are equal: salt not random")
	}
}

func TestNewHasherRefusesWeakParameters(t *testing.T) {
	for name, cfg := range map[string]HasherConfig{
		"memory":     {MemoryKiB: 19455},
		"iterations": {Iterations: 1},
		"concurrent": {MaxConcurrent: -1},
		"huge":       {MemoryKiB: 1<<20 + 1},
	} {
		if _, err := NewHasher(cfg); err == nil {
			t.Errorf("%s: NewHasher(%+v) accepted", name, cfg)
		}
	}
	h := newHasher(t, HasherConfig{})
	if h.params != (argonParams{memoryKiB: 19456, iterations: 2, parallelism: 1}) || cap(h.sem) < 1 {
		t.Fatalf("defaults = %+v, sem %d", h.params, cap(h.sem))
	}
}

func TestVerifyFlagsWeakerArgonForRehash(t *testing.T) {
	ctx := context.Background()
	old := newHasher(t, HasherConfig{})
	enc, _ := old.Hash(ctx, "password-0001")
	stronger := newHasher(t, HasherConfig{Iterations: 3})
	if ok, rehash, err := stronger.Verify(ctx, enc, "password-0001"); !ok || !rehash || err != nil {
		t.Fatalf("Verify(t=2 hash, t=3 hasher) = %v, %v, %v; want true, true, nil", ok, rehash, err)
	}
	if ok, rehash, _ := stronger.Verify(ctx, enc, "password-0002"); ok || rehash {
		t.Fatal("a wrong password matched or asked for a rehash")
	}
}

func TestVerifyBcryptMatchesAndAsksForUpgrade(t *testing.T) {
	ctx := context.Background()
	h := newHasher(t, HasherConfig{})
	b, err := bcrypt.GenerateFromPassword([]byte("legacy-pass"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	for _, variant := range []string{"$2a$", "$2b$", "$2y$"} {
		enc := variant + string(b[4:])
		if ok, rehash, err := h.Verify(ctx, enc, "legacy-pass"); !ok || !rehash || err != nil {
			t.Errorf("%s: Verify(right) = %v, %v, %v; want true, true, nil", variant, ok, rehash, err)
		}
		if ok, rehash, err := h.Verify(ctx, enc, "legacy-pasS"); ok || rehash || err != nil {
			t.Errorf("%s: Verify(wrong) = %v, %v, %v; want false, false, nil", variant, ok, rehash, err)
		}
	}
}

// bcrypt reads only the first 72 bytes: without our check, any extension
// of a 72-byte password would sign in.
func TestBcryptTruncationIsNeverAMatch(t *testing.T) {
	ctx := context.Background()
	h := newHasher(t, HasherConfig{})
	pw72 := strings.Repeat("p", 71) + "!"
	b, err := bcrypt.GenerateFromPassword([]byte(pw72), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	if bcrypt.CompareHashAndPassword(b, []byte(pw72+"x")) != nil {
		t.Fatal("premise: the bcrypt library no longer truncates; this test proves nothing")
	}
	if ok, _, err := h.Verify(ctx, string(b), pw72); !ok || err != nil {
		t.Fatalf("72-byte password: ok=%v err=%v, want a match", ok, err)
	}
	for _, pw := range []string{pw72 + "x", pw72 + strings.Repeat("y", 56)} {
		if ok, rehash, err := h.Verify(ctx, string(b), pw); ok || rehash || err != nil {
			t.Errorf("%d-byte password sharing the first 72: %v, %v, %v; want no match", len(pw), ok, rehash, err)
		}
	}
}

func TestPasswordLengthLimits(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		n    int
		want error
	}{{11, ErrPasswordTooShort}, {12, nil}, {128, nil}, {129, ErrPasswordTooLong}} {
		if err := ValidatePassword(strings.Repeat("a", c.n)); !errors.Is(err, c.want) {
			t.Errorf("ValidatePassword(%d characters) = %v, want %v", c.n, err, c.want)
		}
	}
	h := newHasher(t, HasherConfig{})
	if _, err := h.Hash(ctx, strings.Repeat("a", 129)); !errors.Is(err, ErrPasswordTooLong) {
		t.Fatalf("Hash(129 characters) = %v, want ErrPasswordTooLong", err)
	}
	enc, err := h.Hash(ctx, strings.Repeat("a", 128))
	if err != nil {
		t.Fatal(err)
	}
	if ok, _, err := h.Verify(ctx, enc, strings.Repeat("a", 129)); ok || !errors.Is(err, ErrPasswordTooLong) {
		t.Fatalf("Verify(129 characters) = %v, %v; want false, ErrPasswordTooLong", ok, err)
	}
}

func TestVerifyMalformedHashIsAnErrorNeverAMatch(t *testing.T) {
	ctx := context.Background()
	h := newHasher(t, HasherConfig{})
	good, _ := h.Hash(ctx, "password-0001")
	parts := strings.Split(good, "$") // "", argon2id, v=19, params, salt, key
	join := func(p ...string) string { return strings.Join(p, "$") }
	b, _ := bcrypt.GenerateFromPassword([]byte("password-0001"), bcrypt.MinCost)
	cases := map[string]string{
		"empty":          "",
		"plaintext":      "password-0001",
		"argon2i":        join("", "argon2i", parts[2], parts[3], parts[4], parts[5]),
		"version 16":     join("", "argon2id", "v=16", parts[3], parts[4], parts[5]),
		"params order":   join("", "argon2id", parts[2], "t=2,m=19456,p=1", parts[4], parts[5]),
		"params missing": join("", "argon2id", parts[2], "m=19456,t=2", parts[4], parts[5]),
		"memory huge":    join("", "argon2id", parts[2], "m=4294967295,t=2,p=1", parts[4], parts[5]),
		"iterations 0":   join("", "argon2id", parts[2], "m=19456,t=0,p=1", parts[4], parts[5]),
		"negative":       join("", "argon2id", parts[2], "m=-1,t=2,p=1", parts[4], parts[5]),
		"salt short":     join("", "argon2id", parts[2], parts[3], "AAAA", parts[5]),
		"salt padded":    join("", "argon2id", parts[2], parts[3], parts[4]+"==", parts[5]),
		"key not b64":    join("", "argon2id", parts[2], parts[3], parts[4], "!!!!"+parts[5][4:]),
		"extra field":    good + "$x",
		"bcrypt cut":     string(b[:59]),
		"bcrypt cost 31": "$2a$31$" + string(b[7:]),
		"bcrypt 2x":      "$2x$" + string(b[4:]),
	}
	for name, enc := range cases {
		ok, rehash, err := h.Verify(ctx, enc, "password-0001")
		if ok || rehash || err == nil {
			t.Errorf("%s: Verify = %v, %v, %v; want false, false, error", name, ok, rehash, err)
		}
	}
}

func TestHashingWaitsForASlotAndHonoursContext(t *testing.T) {
	h := newHasher(t, HasherConfig{MaxConcurrent: 1})
	good, _ := h.Hash(context.Background(), "password-0001")
	h.sem <- struct{}{} // every slot busy
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.Hash(ctx, "password-0001"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Hash with slots full and ctx cancelled = %v, want context.Canceled", err)
	}
	if ok, _, err := h.Verify(ctx, good, "password-0001"); ok || !errors.Is(err, context.Canceled) {
		t.Fatalf("Verify with slots full and ctx cancelled = %v, %v", ok, err)
	}
	// Cancelled while waiting (usually; if the cancel lands first the
	// pre-check answers, with the same result).
	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(10*time.Millisecond, cancel)
	if _, err := h.Hash(ctx, "password-0001"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Hash cancelled while waiting = %v, want context.Canceled", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := h.Hash(context.Background(), "password-0001")
		done <- err
	}()
	<-h.sem // free the slot: the queued Hash proceeds
	if err := <-done; err != nil {
		t.Fatalf("queued Hash: %v", err)
	}
	if len(h.sem) != 0 {
		t.Fatalf("%d slots still held after all hashes finished", len(h.sem))
	}
}

func TestVerifyDummyCostsWhatARealVerifyCosts(t *testing.T) {
	h := newHasher(t, HasherConfig{Iterations: 3})
	if h.dummy.params != h.params || len(h.dummy.salt) != saltLen || len(h.dummy.key) != keyLen {
		t.Fatalf("dummy hash %+v differs from the hasher's cost %+v", h.dummy.params, h.params)
	}
	h.VerifyDummy(context.Background(), "whatever-password")
	if len(h.sem) != 0 {
		t.Fatal("VerifyDummy kept its slot")
	}
}

func BenchmarkHash(b *testing.B) {
	h := newHasher(b, HasherConfig{})
	ctx := context.Background()
	for b.Loop() {
		if _, err := h.Hash(ctx, "correct horse battery"); err != nil {
			b.Fatal(err)
		}
	}
}
