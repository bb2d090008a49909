package security

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Ceilings on parameters read from a stored hash, so a corrupt or hostile
// record cannot make one verification allocate gigabytes or run for minutes.
const (
	maxMemoryKiB  = 1 << 20 // 1 GiB
	maxIterations = 64
	minStoredSalt = 8
	minStoredKey  = 16
	maxStoredLen  = 64
)

// phcB64 is the PHC string format's base64: standard alphabet, no padding.
var phcB64 = base64.RawStdEncoding.Strict()

// argonParams is an Argon2id cost.
type argonParams struct {
	memoryKiB   uint32
	iterations  uint32
	parallelism uint8
}

// argonHash is a parsed PHC string.
type argonHash struct {
	params argonParams
	salt   []byte
	key    []byte
}

// String encodes a as $argon2id$v=19$m=…,t=…,p=…$<salt>$<key>.
func (a argonHash) String() string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		a.params.memoryKiB, a.params.iterations, a.params.parallelism,
		phcB64.EncodeToString(a.salt), phcB64.EncodeToString(a.key))
}

// weakerThan reports whether a should be replaced by a hash made with p.
func (a argonHash) weakerThan(p argonParams) bool {
	return a.params.memoryKiB < p.memoryKiB || a.params.iterations < p.iterations ||
		a.params.parallelism < p.parallelism || len(a.salt) < saltLen || len(a.key) < keyLen
}

func (p argonParams) checkCeiling() error {
	if p.memoryKiB > maxMemoryKiB || p.iterations > maxIterations {
		return fmt.Errorf("argon2id m=%d,t=%d exceeds the ceiling m=%d,t=%d",
			p.memoryKiB, p.iterations, maxMemoryKiB, maxIterations)
	}
	if p.memoryKiB < 8*uint32(p.parallelism) || p.iterations < 1 || p.parallelism < 1 {
		return fmt.Errorf("argon2id m=%d,t=%d,p=%d is invalid", p.memoryKiB, p.iterations, p.parallelism)
	}
	return nil
}

// parseArgonHash parses a PHC string strictly: version 19, parameters in
// the order m,t,p within bounds, canonical base64.
func parseArgonHash(s string) (argonHash, error) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return argonHash{}, fmt.Errorf("%w: not an argon2id PHC string", errMalformedHash)
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return argonHash{}, fmt.Errorf("%w: unsupported argon2 version", errMalformedHash)
	}
	p, err := parseArgonParams(parts[3])
	if err != nil {
		return argonHash{}, err
	}
	salt, err1 := decodePHC(parts[4])
	key, err2 := decodePHC(parts[5])
	if err1 != nil || err2 != nil || !inRange(len(salt), minStoredSalt) || !inRange(len(key), minStoredKey) {
		return argonHash{}, fmt.Errorf("%w: bad salt or key", errMalformedHash)
	}
	return argonHash{params: p, salt: salt, key: key}, nil
}

func inRange(n, lo int) bool { return n >= lo && n <= maxStoredLen }

func parseArgonParams(s string) (argonParams, error) {
	kv := strings.Split(s, ",")
	if len(kv) != 3 {
		return argonParams{}, fmt.Errorf("%w: bad parameters", errMalformedHash)
	}
	m, err1 := parseParam(kv[0], "m=", 32)
	t, err2 := parseParam(kv[1], "t=", 32)
	p, err3 := parseParam(kv[2], "p=", 8)
	if err1 != nil || err2 != nil || err3 != nil {
		return argonParams{}, fmt.Errorf("%w: bad parameters", errMalformedHash)
	}
	ap := argonParams{memoryKiB: uint32(m), iterations: uint32(t), parallelism: uint8(p)}
	if err := ap.checkCeiling(); err != nil {
		return argonParams{}, fmt.Errorf("%w: %w", errMalformedHash, err)
	}
	return ap, nil
}

// parseParam reads one "k=N" parameter in canonical decimal (no sign, no
// leading zero), so a stored hash has exactly one spelling.
func parseParam(s, prefix string, bits int) (uint64, error) {
	v, ok := strings.CutPrefix(s, prefix)
	if !ok {
		return 0, errMalformedHash
	}
	n, err := strconv.ParseUint(v, 10, bits)
	if err != nil || strconv.FormatUint(n, 10) != v {
		return 0, errMalformedHash
	}
	return n, nil
}

// decodePHC decodes a PHC salt or key: unpadded standard base64 and nothing
// else (the decoder alone would skip the CR and LF it meets).
func decodePHC(s string) ([]byte, error) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, errMalformedHash
	}
	return phcB64.DecodeString(s)
}
