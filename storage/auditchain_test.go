package storage

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// memChain is an AuditChainReader over chains held in memory, which the
// tests tamper with as an attacker with write access to the store would.
type memChain map[string][]AuditEvent

func (m memChain) AuditOrgs(context.Context) ([]string, error) {
	var orgs []string
	for org := range m {
		orgs = append(orgs, org)
	}
	return orgs, nil
}

func (m memChain) AuditChain(_ context.Context, orgID string, after int64, limit int) ([]AuditEvent, error) {
	var out []AuditEvent
	for _, e := range m[orgID] {
		if (e.Seq > after) && len(out) < limit {
			out = append(out, e)
		}
	}
	return out, nil
}

// newChain links n events of org_a, as AppendAudit would.
func newChain(n int) memChain {
	var head AuditHead
	var list []AuditEvent
	for i := range n {
		e := AuditEvent{ID: fmt.Sprint("aud_", i+1), OrgID: "org_a", ActorKind: SubjectAgent, ActorID: "agt_1",
			Action: "auth.login", TargetID: "ses_1", IP: "203.0.113.7", UserAgent: "Mozilla/5.0",
			Detail: "method=password", Outcome: AuditSuccess, CreatedAt: time.UnixMilli(int64(1000 * (i + 1))).UTC()}
		e = ChainAudit(e, head)
		head = AuditHead{Seq: e.Seq, Hash: e.Hash}
		list = append(list, e)
	}
	return memChain{"org_a": list}
}

func verify(t *testing.T, m memChain) *AuditBreak {
	t.Helper()
	n, brk, err := VerifyAuditChain(t.Context(), m, "org_a")
	if err != nil {
		t.Fatal(err)
	}
	if brk == nil && n != len(m["org_a"]) {
		t.Errorf("verified %d of %d events", n, len(m["org_a"]))
	}
	return brk
}

func TestAuditChainHolds(t *testing.T) {
	m := newChain(5)
	if brk := verify(t, m); brk != nil {
		t.Fatalf("untouched chain broken: %v", brk)
	}
	if m["org_a"][0].PrevHash != "" || m["org_a"][1].PrevHash != m["org_a"][0].Hash {
		t.Errorf("links: %+v", m["org_a"][:2])
	}
	if v, err := VerifyAuditChains(t.Context(), m); err != nil || v.Break != nil || v.Events != 5 || v.Orgs != 1 {
		t.Errorf("verify all: %+v, %v", v, err)
	}
}

// TestAuditChainFindsTampering: every kind of change to a stored event is
// reported at the first link it breaks.
func TestAuditChainFindsTampering(t *testing.T) {
	for _, tc := range []struct {
		name    string
		tamper  func(l []AuditEvent) []AuditEvent
		seq     int64
		eventID string
		reason  string
	}{
		{"detail", func(l []AuditEvent) []AuditEvent { l[2].Detail = "nothing happened"; return l }, 3, "aud_3", "content"},
		{"action", func(l []AuditEvent) []AuditEvent { l[1].Action = "auth.logout"; return l }, 2, "aud_2", "content"},
		{"outcome", func(l []AuditEvent) []AuditEvent { l[1].Outcome = AuditFailure; return l }, 2, "aud_2", "content"},
		{"time", func(l []AuditEvent) []AuditEvent { l[3].CreatedAt = l[3].CreatedAt.Add(time.Millisecond); return l }, 4, "aud_4", "content"},
		{"actor", func(l []AuditEvent) []AuditEvent { l[2].ActorID = "agt_2"; return l }, 3, "aud_3", "actor id"},
		{"target", func(l []AuditEvent) []AuditEvent { l[2].TargetID = "ses_2"; return l }, 3, "aud_3", "target id"},
		{"ip", func(l []AuditEvent) []AuditEvent { l[0].IP = "198.51.100.1"; return l }, 1, "aud_1", "ip"},
		{"user agent", func(l []AuditEvent) []AuditEvent { l[4].UserAgent = "curl"; return l }, 5, "aud_5", "ip or user agent"},
		{"salt forgotten, ip kept", func(l []AuditEvent) []AuditEvent { l[1].Commits.Client.Salt = ""; return l }, 2, "aud_2", "erased ip"},
		{"digest replaced", func(l []AuditEvent) []AuditEvent {
			l[1].Commits.Actor = AuditCommitment{Digest: AuditCommit("actor", "00", "agt_2"), Salt: "00"}
			l[1].ActorID = "agt_2"
			return l
		}, 2, "aud_2", "content"},
		{"rehashed after a change", func(l []AuditEvent) []AuditEvent {
			l[2].Detail = "edited"
			l[2].Hash = AuditHash(l[2])
			return l
		}, 4, "aud_4", "previous hash"},
		{"deleted", func(l []AuditEvent) []AuditEvent { return append(l[:2:2], l[3:]...) }, 4, "aud_4", "sequence gap"},
		{"deleted first", func(l []AuditEvent) []AuditEvent { return l[1:] }, 2, "aud_2", "sequence gap"},
		{"reordered", func(l []AuditEvent) []AuditEvent {
			l[1], l[2] = l[2], l[1]
			l[1].Seq, l[2].Seq = 2, 3
			return l
		}, 2, "aud_3", "previous hash"},
		{"unchained", func(l []AuditEvent) []AuditEvent {
			e := l[4]
			e.ID, e.Seq = "aud_x", 0
			return append([]AuditEvent{e}, l...)
		}, 0, "aud_x", "no sequence number"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newChain(5)
			m["org_a"] = tc.tamper(m["org_a"])
			brk := verify(t, m)
			if brk == nil {
				t.Fatal("tampering not found")
			}
			if brk.OrgID != "org_a" || brk.Seq != tc.seq || brk.EventID != tc.eventID || !strings.Contains(brk.Reason, tc.reason) {
				t.Errorf("break %v, want seq %d event %s reason ~%q", brk, tc.seq, tc.eventID, tc.reason)
			}
		})
	}
}

// TestAuditChainSurvivesErasure: erasure's rewrite — pseudonym in place
// of the id, IP and user agent cleared, their salts forgotten — keeps
// every hash and the chain verifies.
func TestAuditChainSurvivesErasure(t *testing.T) {
	m := newChain(3)
	l := m["org_a"]
	hashes := []string{l[0].Hash, l[1].Hash, l[2].Hash}
	l[1].ActorID, l[1].Commits.Actor.Salt = "anon_x", ""
	l[1].IP, l[1].UserAgent, l[1].Commits.Client.Salt = "", "", ""
	l[2].TargetID, l[2].Commits.Target.Salt = "anon_y", ""
	if brk := verify(t, m); brk != nil {
		t.Fatalf("erased chain broken: %v", brk)
	}
	for i, e := range l {
		if e.Hash != hashes[i] || e.Hash != AuditHash(e) {
			t.Errorf("seq %d: hash changed by erasure", e.Seq)
		}
	}
	l[1].ActorID = "" // an erased id must hold a pseudonym
	if brk := verify(t, m); brk == nil || brk.Seq != 2 {
		t.Errorf("empty erased actor: %v", brk)
	}
}

// TestAuditHashEncoding: length prefixes keep fields apart, and the
// encoding is stable (a golden hash: changing the encoding needs a new
// AuditChainVersion).
func TestAuditHashEncoding(t *testing.T) {
	a := AuditEvent{OrgID: "org_a", Seq: 1, ID: "aud_1", Action: "ab", Detail: "c"}
	b := a
	b.Action, b.Detail = "a", "bc"
	if AuditHash(a) == AuditHash(b) {
		t.Error("moving bytes between fields keeps the hash")
	}
	const golden = "helpr-audit-v1"
	if AuditChainVersion != golden {
		t.Fatalf("version %q", AuditChainVersion)
	}
	e := AuditEvent{OrgID: "org_a", Seq: 1, ID: "aud_1", CreatedAt: time.UnixMilli(1_767_225_600_000), ActorKind: SubjectAgent,
		Action: "auth.login", Outcome: AuditSuccess, Detail: "method=password",
		Commits: AuditCommitments{Actor: AuditCommitment{Digest: AuditCommit("actor", "00", "agt_1")}}}
	if got := AuditHash(e); got != goldenAuditHash {
		t.Errorf("hash of the golden event changed: %s", got)
	}
}

// goldenAuditHash is AuditHash of TestAuditHashEncoding's event under
// encoding v1.
const goldenAuditHash = "15e57af13cd2dc9375fb5035967ebb7c05ef6a0dfe857d99431cb4f43d69be9c"
