// Package security holds helpr's authentication primitives: random tokens
// stored only as SHA-256 hashes, Argon2id password hashing with a legacy
// bcrypt upgrade path, second-precision rate limiting, the server secret, and
// two-token sessions (access + rotating refresh) validated through an
// in-memory cache.
//
// Nothing in this package logs. Errors never contain a token, a password or
// a hash.
package security
