package security

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

// StartParams describes a new session.
type StartParams struct {
	OrgID      string
	Kind       storage.SubjectKind
	SubjectID  string
	RememberMe bool // agents only: refresh token lives 30 days instead of 24h
	IP         string
	UserAgent  string
	// Rehash, for agents, replaces the agent's password hash in the same
	// write (legacy or weak hash upgraded at sign-in).
	Rehash *storage.PasswordRehash
	// NotAfter, for visitors, caps the token's expiry: it expires at the
	// earlier of NotAfter and now+VisitorTTL (a session started from a chat
	// token never outlives the token). Zero: no cap. It must lie after now.
	NotAfter time.Time
}

// Issued is what Start and Refresh hand to the client. Tokens appear here
// and nowhere else: the store has only their hashes. The refresh fields are
// empty for visitors.
type Issued struct {
	Session          storage.Session
	AccessToken      string
	AccessExpiresAt  time.Time
	RefreshToken     string
	RefreshExpiresAt time.Time
}

// Start creates a session. An agent gets an access token (AccessPrefix, 1h)
// and a refresh token (RefreshPrefix, 24h or 30 days with RememberMe); a
// visitor gets one VisitorPrefix token (VisitorTTL) and no refresh token.
func (s *Sessions) Start(ctx context.Context, p StartParams) (Issued, error) {
	now := s.clock()
	if err := p.validate(now); err != nil {
		return Issued{}, err
	}
	iss, start, accessHash := s.newSession(p, now)
	epoch := s.cache.epoch.Load()
	if err := s.store.CreateSession(ctx, start); err != nil {
		return Issued{}, fmt.Errorf("start session: %w", err)
	}
	p0 := principalOf(iss.Session, iss.AccessExpiresAt)
	s.cache.put(accessHash, p0, epoch, now)
	s.active.mark(p0, now)
	return iss, nil
}

// newSession builds a session and its first tokens: what the client gets,
// what the store gets, and the access token's hash.
func (s *Sessions) newSession(p StartParams, now time.Time) (Issued, storage.SessionStart, [32]byte) {
	sess := storage.Session{
		ID: storage.NewID("ses"), OrgID: p.OrgID, SubjectKind: p.Kind, SubjectID: p.SubjectID,
		RememberMe: p.RememberMe && p.Kind == storage.SubjectAgent,
		IP:         p.IP, UserAgent: p.UserAgent, CreatedAt: now, LastSeenAt: now,
	}
	var iss Issued
	var accessHash [32]byte
	start := storage.SessionStart{RehashPassword: p.Rehash}
	if p.Kind == storage.SubjectVisitor {
		iss.AccessToken, accessHash = NewToken(VisitorPrefix)
		iss.AccessExpiresAt = now.Add(s.ttl.visitor)
		if !p.NotAfter.IsZero() && p.NotAfter.Before(iss.AccessExpiresAt) {
			iss.AccessExpiresAt = p.NotAfter.UTC().Truncate(time.Millisecond)
		}
	} else {
		sess.Generation = 1
		var refreshHash [32]byte
		iss.AccessToken, accessHash = NewToken(AccessPrefix)
		iss.AccessExpiresAt = now.Add(s.ttl.access)
		iss.RefreshToken, refreshHash = NewToken(RefreshPrefix)
		iss.RefreshExpiresAt = now.Add(s.refreshTTL(sess))
		start.Refresh = &storage.RefreshToken{Hash: refreshHash[:], SessionID: sess.ID,
			Generation: sess.Generation, ExpiresAt: iss.RefreshExpiresAt}
	}
	iss.Session, start.Session = sess, sess
	start.Access = storage.AccessToken{Hash: accessHash[:], SessionID: sess.ID, ExpiresAt: iss.AccessExpiresAt}
	return iss, start, accessHash
}

func (p StartParams) validate(now time.Time) error {
	if !p.NotAfter.IsZero() && (p.Kind != storage.SubjectVisitor || !p.NotAfter.After(now)) {
		return errors.New("start session: NotAfter is for visitors and must lie in the future")
	}
	if p.OrgID == "" || p.SubjectID == "" {
		return errors.New("start session: OrgID and SubjectID are required")
	}
	if p.Kind != storage.SubjectAgent && p.Kind != storage.SubjectVisitor {
		return fmt.Errorf("start session: unknown subject kind %q", p.Kind)
	}
	if p.Rehash != nil && (p.Kind != storage.SubjectAgent || p.Rehash.OrgID != p.OrgID || p.Rehash.AgentID != p.SubjectID) {
		return errors.New("start session: Rehash must name the agent signing in")
	}
	return nil
}

func (s *Sessions) refreshTTL(sess storage.Session) time.Duration {
	if sess.RememberMe {
		return s.ttl.rememberMe
	}
	return s.ttl.refresh
}

func principalOf(sess storage.Session, expiresAt time.Time) Principal {
	return Principal{SessionID: sess.ID, OrgID: sess.OrgID, Kind: sess.SubjectKind,
		SubjectID: sess.SubjectID, ExpiresAt: expiresAt}
}
