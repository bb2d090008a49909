package storage

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"strconv"
	"time"
)

// The audit trail of every organisation is a hash chain (docs/security.md,
// "Audit trail"). Event n of an organisation has Seq n (1, 2, 3… without
// holes), PrevHash = the Hash of event n-1 ("" for event 1) and Hash =
// AuditHash(event). The erasable fields — ActorID, TargetID, and IP with
// UserAgent — enter the hash only through salted commitments
// (AuditCommitments): erasure replaces such a field and forgets its salt,
// and the commitment, still in the hash, no longer reveals anything about
// the erased value. So erasure changes no Hash, and every hash ever
// recorded elsewhere keeps checking.

// AuditChainVersion names the canonical encoding of AuditHash and
// AuditCommit; it is the first thing either hashes, so a future encoding
// can never produce the same hash for other content.
const AuditChainVersion = "helpr-audit-v1"

// auditSaltBytes is the size of a commitment salt: 128 random bits make
// the commitment of a low-entropy value (an IPv4 address, an id) beyond
// guessing once the salt is gone.
const auditSaltBytes = 16

// AuditCommitment binds an event's hash to one group of erasable fields:
// Digest = AuditCommit(group, Salt, values…). Salt is "" once the fields
// are erased; Digest stays.
type AuditCommitment struct {
	Digest string // lower-case hex SHA-256
	Salt   string // lower-case hex, "" after erasure
}

// Erased reports whether the commitment's fields were erased.
func (c AuditCommitment) Erased() bool { return c.Salt == "" }

// AuditCommitments are an event's commitments: Actor to ActorID, Target to
// TargetID and Client to IP and UserAgent together.
type AuditCommitments struct {
	Actor  AuditCommitment
	Target AuditCommitment
	Client AuditCommitment
}

// Commitment groups (AuditCommit's group argument).
const (
	auditGroupActor  = "actor"
	auditGroupTarget = "target"
	auditGroupClient = "client"
)

// AuditHead is the newest link of an organisation's chain: the Seq and
// Hash of its last event. The zero value is the head of an empty chain.
type AuditHead struct {
	Seq  int64
	Hash string
}

// ChainAudit returns e as the link after head: Seq head.Seq+1, PrevHash
// head.Hash, fresh commitments to its erasable fields and its Hash. The
// backend stores exactly what it returns, in the same atomic step that
// read head.
func ChainAudit(e AuditEvent, head AuditHead) AuditEvent {
	e.Seq, e.PrevHash = head.Seq+1, head.Hash
	e.Commits = AuditCommitments{
		Actor:  newCommitment(auditGroupActor, e.ActorID),
		Target: newCommitment(auditGroupTarget, e.TargetID),
		Client: newCommitment(auditGroupClient, e.IP, e.UserAgent),
	}
	e.Hash = AuditHash(e)
	return e
}

func newCommitment(group string, values ...string) AuditCommitment {
	var b [auditSaltBytes]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	salt := hex.EncodeToString(b[:])
	return AuditCommitment{Digest: AuditCommit(group, salt, values...), Salt: salt}
}

// AuditCommit is the digest of a commitment: SHA-256 over the version, the
// group name, the salt and the values, each length-prefixed.
func AuditCommit(group, salt string, values ...string) string {
	h := sha256.New()
	field(h, AuditChainVersion+"/commit")
	field(h, group)
	field(h, salt)
	for _, v := range values {
		field(h, v)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// AuditHash is the hash of e's link: SHA-256 over the canonical encoding
// of version 1 — each of the following as an 8-byte big-endian length and
// its bytes: AuditChainVersion, OrgID, Seq (decimal), PrevHash, ID,
// CreatedAt (Unix milliseconds in decimal, "0" for the zero time),
// ActorKind, Action, Outcome, Detail, and the digests of the Actor, Target
// and Client commitments. Salts and the erasable fields themselves are not
// in it (see AuditCommitments).
func AuditHash(e AuditEvent) string {
	h := sha256.New()
	for _, s := range []string{AuditChainVersion, e.OrgID, strconv.FormatInt(e.Seq, 10), e.PrevHash, e.ID,
		strconv.FormatInt(auditMillis(e.CreatedAt), 10), string(e.ActorKind), e.Action, e.Outcome, e.Detail,
		e.Commits.Actor.Digest, e.Commits.Target.Digest, e.Commits.Client.Digest} {
		field(h, s)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// auditMillis is t in Unix milliseconds, 0 for the zero time (the storage
// precision: both backends keep milliseconds).
func auditMillis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// field writes s length-prefixed, so no two field lists encode alike.
func field(h hash.Hash, s string) {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(s)))
	h.Write(n[:])
	h.Write([]byte(s))
}

// hexEqual compares two hex digests in constant time.
func hexEqual(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
