package security

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"runtime"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Password policy errors.
var (
	ErrPasswordTooLong  = errors.New("security: password longer than 128 characters")
	ErrPasswordTooShort = errors.New("security: password shorter than 12 characters")
)

// errMalformedHash reports a stored hash that cannot be parsed; it never
// counts as a match.
var errMalformedHash = errors.New("security: malformed password hash")

// Argon2id floor (OWASP): 19 MiB, 2 passes, 1 lane. One hash costs about
// 17-20 ms on a 2-core EPYC.
const (
	minMemoryKiB   = 19456
	minIterations  = 2
	minParallelism = 1
	saltLen        = 16
	keyLen         = 32
)

// HasherConfig sets the Argon2id cost. Zero fields take the defaults, which
// are also the minimums: MemoryKiB 19456, Iterations 2, Parallelism 1, and
// MaxConcurrent runtime.GOMAXPROCS(0).
type HasherConfig struct {
	MemoryKiB   uint32
	Iterations  uint32
	Parallelism uint8
	// MaxConcurrent bounds how many hashes run at once (each holds
	// MemoryKiB of memory), so a login flood queues instead of exhausting
	// memory.
	MaxConcurrent int
}

// Hasher hashes and verifies passwords. It is safe for concurrent use; at
// most MaxConcurrent hashes run at a time and waiting callers give up when
// their context ends.
type Hasher struct {
	params argonParams
	sem    chan struct{}
	dummy  argonHash // verified against by VerifyDummy
}

// NewHasher returns a Hasher with cfg's cost. It refuses parameters below
// m=19456 KiB, t=2, p=1.
func NewHasher(cfg HasherConfig) (*Hasher, error) {
	p := argonParams{memoryKiB: cfg.MemoryKiB, iterations: cfg.Iterations, parallelism: cfg.Parallelism}
	if p.memoryKiB == 0 {
		p.memoryKiB = minMemoryKiB
	}
	if p.iterations == 0 {
		p.iterations = minIterations
	}
	if p.parallelism == 0 {
		p.parallelism = minParallelism
	}
	if err := p.checkFloor(); err != nil {
		return nil, err
	}
	if err := p.checkCeiling(); err != nil {
		return nil, fmt.Errorf("new hasher: %w", err)
	}
	n := cfg.MaxConcurrent
	if n < 0 {
		return nil, fmt.Errorf("new hasher: MaxConcurrent %d is negative", n)
	}
	if n == 0 {
		n = runtime.GOMAXPROCS(0)
	}
	h := &Hasher{params: p, sem: make(chan struct{}, n)}
	h.dummy = argonHash{params: p, salt: randomBytes(saltLen), key: randomBytes(keyLen)}
	return h, nil
}

func (p argonParams) checkFloor() error {
	if p.memoryKiB < minMemoryKiB || p.iterations < minIterations || p.parallelism < minParallelism {
		return fmt.Errorf("new hasher: argon2id m=%d,t=%d,p=%d is below the floor m=%d,t=%d,p=%d",
			p.memoryKiB, p.iterations, p.parallelism, minMemoryKiB, minIterations, minParallelism)
	}
	return nil
}

// Hash validates pw (ValidatePassword) and returns the Argon2id PHC string
// of its NFKC form with a fresh 16-byte salt. Argon2id reads the whole
// input, so no length of password is truncated.
func (h *Hasher) Hash(ctx context.Context, pw string) (string, error) {
	if err := ValidatePassword(pw); err != nil {
		return "", err
	}
	a := argonHash{params: h.params, salt: randomBytes(saltLen)}
	if err := h.acquire(ctx); err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	a.key = a.params.key(normalizePassword(pw), a.salt, keyLen)
	h.release()
	return a.String(), nil
}

// Verify reports whether pw matches the stored hash encoded (Argon2id PHC or
// legacy bcrypt $2a$/$2b$/$2y$). pw is compared in its NFKC form and, when
// that differs, as typed (hashes made before normalisation); a match as
// typed sets needsRehash. needsRehash is also set on a match when the hash
// is bcrypt or weaker than the Hasher's parameters: the caller should then
// store a fresh Hash. A password over 128 characters is refused with
// ErrPasswordTooLong before any hashing; a password over 72 bytes never
// matches a bcrypt hash. A malformed stored hash is an error, never a match.
func (h *Hasher) Verify(ctx context.Context, encoded, pw string) (ok, needsRehash bool, err error) {
	if PasswordTooLong(pw) {
		return false, false, ErrPasswordTooLong
	}
	for i, cand := range passwordCandidates(pw) {
		ok, needsRehash, err = h.verifyOne(ctx, encoded, cand)
		if ok || err != nil {
			return ok, ok && (needsRehash || i > 0), err
		}
	}
	return false, false, nil
}

// verifyOne checks one form of the password against encoded.
func (h *Hasher) verifyOne(ctx context.Context, encoded, pw string) (ok, needsRehash bool, err error) {
	switch {
	case strings.HasPrefix(encoded, "$argon2id$"):
		return h.verifyArgon(ctx, encoded, pw)
	case isBcrypt(encoded):
		ok, err := h.verifyBcrypt(ctx, encoded, pw)
		return ok, ok, err
	}
	return false, false, fmt.Errorf("verify password: %w: unknown scheme", errMalformedHash)
}

func (h *Hasher) verifyArgon(ctx context.Context, encoded, pw string) (ok, needsRehash bool, err error) {
	stored, err := parseArgonHash(encoded)
	if err != nil {
		return false, false, fmt.Errorf("verify password: %w", err)
	}
	if err := h.acquire(ctx); err != nil {
		return false, false, fmt.Errorf("verify password: %w", err)
	}
	ok = stored.matches(pw)
	h.release()
	return ok, ok && stored.weakerThan(h.params), nil
}

// VerifyDummy spends what a failed Verify against a real hash costs (one
// hash per form of pw Verify would try), for sign-in attempts on unknown
// accounts, so response time does not reveal whether an account exists.
// It returns early only when ctx ends while waiting.
func (h *Hasher) VerifyDummy(ctx context.Context, pw string) {
	if PasswordTooLong(pw) {
		return // Verify refuses these without hashing too
	}
	for _, cand := range passwordCandidates(pw) {
		if h.acquire(ctx) != nil {
			return
		}
		_ = h.dummy.matches(cand)
		h.release()
	}
}

func (h *Hasher) acquire(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case h.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *Hasher) release() { <-h.sem }

// matches recomputes the key for pw with a's parameters and salt and
// compares in constant time.
func (a argonHash) matches(pw string) bool {
	got := a.params.key(pw, a.salt, uint32(len(a.key)))
	return subtle.ConstantTimeCompare(got, a.key) == 1
}

func (p argonParams) key(pw string, salt []byte, n uint32) []byte {
	return argon2.IDKey([]byte(pw), salt, p.iterations, p.memoryKiB, p.parallelism, n)
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return b
}
