package security

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

const (
	// bcryptMaxPassword is where bcrypt silently truncates its input. A
	// longer password never matches: accepting it would let any suffix of
	// a 72-byte password sign in.
	bcryptMaxPassword = 72
	bcryptHashLen     = 60
	// maxBcryptCost bounds the work a stored hash can demand (cost 16 is
	// already seconds).
	maxBcryptCost = 16
)

// isBcrypt reports whether encoded claims to be a bcrypt hash of a
// supported variant.
func isBcrypt(encoded string) bool {
	return strings.HasPrefix(encoded, "$2a$") || strings.HasPrefix(encoded, "$2b$") ||
		strings.HasPrefix(encoded, "$2y$")
}

// verifyBcrypt checks pw against a legacy bcrypt hash. A password over 72
// bytes is still run through bcrypt (so timing does not single it out) but
// never matches.
func (h *Hasher) verifyBcrypt(ctx context.Context, encoded, pw string) (bool, error) {
	cost, err := bcrypt.Cost([]byte(encoded))
	if err != nil || len(encoded) != bcryptHashLen {
		return false, fmt.Errorf("verify password: %w: bad bcrypt hash", errMalformedHash)
	}
	if cost > maxBcryptCost {
		return false, fmt.Errorf("verify password: %w: bcrypt cost %d above %d", errMalformedHash, cost, maxBcryptCost)
	}
	if err := h.acquire(ctx); err != nil {
		return false, fmt.Errorf("verify password: %w", err)
	}
	err = bcrypt.CompareHashAndPassword([]byte(encoded), []byte(pw[:min(len(pw), bcryptMaxPassword)]))
	h.release()
	switch {
	case err == nil:
		return len(pw) <= bcryptMaxPassword, nil
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
		return false, nil
	}
	return false, fmt.Errorf("verify password: %w: %w", errMalformedHash, err)
}
