// Package security holds helpr's authentication and data-protection
// primitives: random tokens stored only as SHA-256 hashes, Argon2id password
// hashing with a legacy bcrypt upgrade path, second-precision rate limiting,
// the server secret, two-token sessions (access + rotating refresh)
// validated through an in-memory cache, and encryption at rest: a keyring
// of named, versioned keys kept outside the database, field encryption
// (AES-256-GCM envelopes bound to their record and field), blind indexes
// for email lookup, pseudonyms for erased subjects, the SealedStore that
// seals visitor PII above every storage backend, and re-encryption after a
// key rotation. docs/security.md describes the formats and the procedures.
//
// Nothing in this package logs. Errors never contain a token, a password, a
// hash, key material or a decrypted value.
package security
