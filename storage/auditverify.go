package storage

import (
	"context"
	"fmt"
)

// AuditChainReader is what VerifyAuditChains reads: every organisation's
// chain, link by link (the AuditStore methods of the same names).
type AuditChainReader interface {
	AuditOrgs(ctx context.Context) ([]string, error)
	AuditChain(ctx context.Context, orgID string, afterSeq int64, limit int) ([]AuditEvent, error)
}

// auditVerifyPage is how many links VerifyAuditChains reads at a time.
const auditVerifyPage = 500

// AuditBreak is the first broken link of a chain: the event where the
// chain stops proving what came before.
type AuditBreak struct {
	OrgID   string
	Seq     int64
	EventID string
	Reason  string
}

// Error describes the break in one line.
func (b *AuditBreak) Error() string {
	org := b.OrgID
	if org == "" {
		org = `""`
	}
	return fmt.Sprintf("org %s seq %d event %s: %s", org, b.Seq, b.EventID, b.Reason)
}

// AuditVerification is the result of VerifyAuditChains: how many events
// and organisations were checked, and the first break (nil when every
// chain holds). Events counts the events read up to the break.
type AuditVerification struct {
	Events int
	Orgs   int
	Break  *AuditBreak
}

// VerifyAuditChains checks the chain of every organisation r knows, in
// organisation order, and stops at the first broken link. An error is a
// failure to read, not a broken chain.
func VerifyAuditChains(ctx context.Context, r AuditChainReader) (AuditVerification, error) {
	var out AuditVerification
	orgs, err := r.AuditOrgs(ctx)
	if err != nil {
		return out, fmt.Errorf("list audit organisations: %w", err)
	}
	for _, org := range orgs {
		n, brk, err := VerifyAuditChain(ctx, r, org)
		out.Events += n
		out.Orgs++
		if err != nil || brk != nil {
			out.Break = brk
			return out, err
		}
	}
	return out, nil
}

// VerifyAuditChain checks the chain of one organisation from its first
// event and returns how many events it read and the first break (nil if
// none). Events without a sequence number come first and are breaks.
func VerifyAuditChain(ctx context.Context, r AuditChainReader, orgID string) (int, *AuditBreak, error) {
	var head AuditHead
	after, n := int64(-1), 0
	for {
		page, err := r.AuditChain(ctx, orgID, after, auditVerifyPage)
		if err != nil {
			return n, nil, fmt.Errorf("read audit chain of %q: %w", orgID, err)
		}
		for _, e := range page {
			n++
			if reason := CheckAuditLink(e, head); reason != "" {
				return n, &AuditBreak{OrgID: orgID, Seq: e.Seq, EventID: e.ID, Reason: reason}, nil
			}
			head = AuditHead{Seq: e.Seq, Hash: e.Hash}
		}
		if len(page) < auditVerifyPage {
			return n, nil, nil
		}
		after = head.Seq
	}
}

// CheckAuditLink checks that e is the link after head and that its
// content is what its hash covers. It returns "" when the link holds, else
// the reason it does not.
func CheckAuditLink(e AuditEvent, head AuditHead) string {
	switch {
	case e.Seq <= 0:
		return "event has no sequence number (not in the chain)"
	case e.Seq != head.Seq+1:
		return fmt.Sprintf("sequence gap: expected seq %d (an event was deleted or reordered)", head.Seq+1)
	case !hexEqual(e.PrevHash, head.Hash):
		return fmt.Sprintf("previous hash does not match the hash of seq %d", head.Seq)
	case !hexEqual(e.Hash, AuditHash(e)):
		return "hash does not match the event's content (the event was modified)"
	}
	return checkCommitments(e)
}

// checkCommitments checks each erasable field against its commitment: an
// unerased one must open it; an erased IP and user agent must be empty
// and an erased id must not be (it holds the pseudonym).
func checkCommitments(e AuditEvent) string {
	c := e.Commits
	switch {
	case !opens(c.Actor, auditGroupActor, e.ActorID):
		return "actor id does not match its commitment (the event was modified)"
	case c.Actor.Erased() && e.ActorID == "":
		return "erased actor id is empty (erasure writes a pseudonym)"
	case !opens(c.Target, auditGroupTarget, e.TargetID):
		return "target id does not match its commitment (the event was modified)"
	case c.Target.Erased() && e.TargetID == "":
		return "erased target id is empty (erasure writes a pseudonym)"
	case !opens(c.Client, auditGroupClient, e.IP, e.UserAgent):
		return "ip or user agent does not match its commitment (the event was modified)"
	case c.Client.Erased() && (e.IP != "" || e.UserAgent != ""):
		return "erased ip or user agent is not empty"
	}
	return ""
}

// opens reports whether c is erased or its digest is that of values.
func opens(c AuditCommitment, group string, values ...string) bool {
	return c.Erased() || hexEqual(c.Digest, AuditCommit(group, c.Salt, values...))
}
