package api

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"time"

	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
	"github.com/helpr-chat/helpr/transport/mail"
)

// Reset code limits: an emailed code has 8 digits, works for 10 minutes
// and allows 5 attempts.
const (
	ResetCodeTTL      = 10 * time.Minute
	ResetCodeAttempts = 5
	resetCodeDigits   = 8
)

// resetHashPurpose separates reset-code hashes from other keyed hashes.
const resetHashPurpose = "password_reset"

var errResetCode = httpx.NewError(http.StatusUnauthorized, httpx.CodeInvalidCode,
	"the code is wrong, expired or used up; ask for a new one")

// handlePasswordForgot emails a reset code to every account of the
// address; 202 {} whether or not there is one (answerMailRequest).
func (a *API) handlePasswordForgot(w http.ResponseWriter, r *http.Request) error {
	return a.answerMailRequest(w, r, a.links.forgotIP, a.links.forgotAddress, a.sendResetCode)
}

// resetID is the storage id of agent's one live reset code: a new request
// replaces the previous code.
func resetID(agent storage.Agent) string { return agent.OrgID + "/" + agent.ID }

// resetHashValue binds a code to its account inside the keyed hash, so a
// code stored for one account never matches for another.
func resetHashValue(id, code string) string { return id + "\x00" + code }

// newResetCode returns 8 uniformly random decimal digits.
func newResetCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(100_000_000))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%08d", n.Int64()), nil
}

// sendResetCode stores a new reset code for agent (as a keyed hash,
// replacing any earlier one) and mails it.
func (a *API) sendResetCode(ctx context.Context, r *http.Request, agent storage.Agent) {
	code, err := newResetCode()
	if err != nil {
		a.log.Error().Err(err).Msg("reset code not generated")
		return
	}
	id, now := resetID(agent), a.nowMs()
	t := storage.OneTime{ID: id, Purpose: storage.PurposePasswordReset, OrgID: agent.OrgID, SubjectID: agent.ID,
		CodeHash: a.cfg.Store.KeyedHash(resetHashPurpose, resetHashValue(id, code)), MaxAttempts: ResetCodeAttempts,
		CreatedAt: now, ExpiresAt: now.Add(ResetCodeTTL)}
	if err := a.cfg.Store.PutOneTime(ctx, t); err != nil {
		a.log.Error().Err(err).Str("agent_id", agent.ID).Msg("reset code not stored")
		return
	}
	m := mail.Message{OrgID: agent.OrgID, To: agent.Email, Kind: mail.KindPasswordReset,
		Subject: "Your helpr password reset code",
		Text: fmt.Sprintf("Someone asked to reset the password of your helpr account at %s.\n\n"+
			"Your code: %s\n\nIt works for 10 minutes and 5 attempts. "+
			"If it was not you, ignore this mail: your password stays as it is.\n",
			a.orgName(ctx, agent.OrgID), code)}
	if a.sendMail(r, m) != nil {
		return
	}
	a.audit(r, storage.AuditEvent{OrgID: agent.OrgID, Action: "auth.password_reset_requested", TargetID: agent.ID,
		Outcome: storage.AuditSuccess})
}

type resetRequest struct {
	Email       string `json:"email"`
	Code        string `json:"code"`
	NewPassword string `json:"new_password"`
}

// handlePasswordReset sets a new password with an emailed code: 200 {}.
// The new password is checked against the policy first (so a typo burns
// no attempt); a wrong, expired or used-up code, or an address without
// accounts, is 401 invalid_code. Success revokes every session of the
// account (sockets close on every node) and its pending sign-in links,
// clears its second-factor failure lock, and mails the holder that the
// password changed.
func (a *API) handlePasswordReset(w http.ResponseWriter, r *http.Request) error {
	if !a.admit(w, r, a.links.resetIP, httpx.IPLimitKey(a.clientIP(r))) {
		return nil
	}
	var req resetRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	email := strings.ToLower(strings.TrimSpace(req.Email))
	if email == "" || req.Code == "" || req.NewPassword == "" {
		return invalid("email, code and new_password are required")
	}
	if err := security.ValidatePassword(req.NewPassword); err != nil {
		return passwordError(err)
	}
	agent, err := a.redeemResetCode(r, email, strings.TrimSpace(req.Code))
	if err != nil {
		return err
	}
	hash, err := a.cfg.Hasher.Hash(r.Context(), req.NewPassword)
	if err != nil {
		return fmt.Errorf("hash password: %w", err)
	}
	if err := a.setPassword(r, agent, hash, ""); err != nil {
		return err
	}
	// A reset is the way out of a second-factor lock (NIST SP 800-63B §5.2.2).
	err = a.cfg.Store.ClearMFAFailures(context.WithoutCancel(r.Context()), agent.OrgID, agent.ID)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("clear second-factor failures: %w", err)
	}
	a.audit(r, storage.AuditEvent{OrgID: agent.OrgID, ActorKind: storage.SubjectAgent, ActorID: agent.ID,
		Action: "auth.password_reset", TargetID: agent.ID, Outcome: storage.AuditSuccess})
	httpx.WriteJSON(w, http.StatusOK, struct{}{})
	return nil
}

// validCodeForm reports whether code is 8 ASCII digits.
func validCodeForm(code string) bool {
	if len(code) != resetCodeDigits {
		return false
	}
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return false
		}
	}
	return true
}

// redeemResetCode finds the account of email whose live code is code and
// consumes that code. Each candidate's attempt is charged before the
// comparison (constant time); the code is then consumed by one
// conditional write, so of concurrent right answers exactly one wins.
// errResetCode when no account matches.
func (a *API) redeemResetCode(r *http.Request, email, code string) (storage.Agent, error) {
	if !validCodeForm(code) {
		a.authFailed(reasonResetCode)
		return storage.Agent{}, errResetCode
	}
	agents, err := a.cfg.Store.ListAgentsByEmail(r.Context(), email)
	if err != nil {
		return storage.Agent{}, fmt.Errorf("look up agents: %w", err)
	}
	charged := false
	for _, ag := range agents {
		if ag.Deleted() || ag.Deactivated() {
			continue
		}
		ok, tried, err := a.tryResetCode(r, ag, code)
		if err != nil {
			return storage.Agent{}, err
		}
		charged = charged || tried
		if ok {
			return ag, nil
		}
	}
	if !charged {
		// No live code was compared: hash once anyway, so the answer
		// costs about what a wrong code does.
		_ = a.cfg.Store.KeyedHash(resetHashPurpose, resetHashValue(email, code))
	}
	a.authFailed(reasonResetCode)
	return storage.Agent{}, errResetCode
}

// tryResetCode charges one attempt at agent's code, compares and, on a
// match, consumes it. tried reports whether a live code was compared.
func (a *API) tryResetCode(r *http.Request, agent storage.Agent, code string) (ok, tried bool, err error) {
	id, now := resetID(agent), a.nowMs()
	t, err := a.cfg.Store.ChargeOneTimeAttempt(r.Context(), storage.PurposePasswordReset, id, now)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return false, false, nil
	case errors.Is(err, storage.ErrConflict):
		a.resetFailed(r, agent, "no live code (expired, used or out of attempts)")
		return false, false, nil
	case err != nil:
		return false, false, fmt.Errorf("charge reset code: %w", err)
	}
	if !a.cfg.Store.KeyedHashEqual(resetHashPurpose, resetHashValue(id, code), t.CodeHash) {
		a.resetFailed(r, agent, fmt.Sprintf("wrong code (attempt %d of %d)", t.Attempts, t.MaxAttempts))
		return false, true, nil
	}
	_, err = a.cfg.Store.ConsumeOneTime(r.Context(), storage.PurposePasswordReset, id, now)
	if errors.Is(err, storage.ErrConflict) || errors.Is(err, storage.ErrNotFound) {
		a.resetFailed(r, agent, "code already used")
		return false, true, nil
	}
	if err != nil {
		return false, true, fmt.Errorf("consume reset code: %w", err)
	}
	return true, true, nil
}

// resetFailed audits auth.password_reset_failed for agent.
func (a *API) resetFailed(r *http.Request, agent storage.Agent, why string) {
	a.audit(r, storage.AuditEvent{OrgID: agent.OrgID, Action: "auth.password_reset_failed", TargetID: agent.ID,
		Detail: why, Outcome: storage.AuditFailure})
}

// setPassword stores agent's new password hash, revokes every session of
// agent but except ("" spares none; each revocation closes its sockets on
// every node), revokes the account's pending sign-in links and reset
// codes, and mails the holder that the password changed (no secret in it).
func (a *API) setPassword(r *http.Request, agent storage.Agent, hash, except string) error {
	ctx := context.WithoutCancel(r.Context())
	if err := a.cfg.Store.SetAgentPasswordHash(ctx, agent.OrgID, agent.ID, hash); err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	if _, err := a.cfg.Sessions.RevokeSubject(ctx, agent.OrgID, storage.SubjectAgent, agent.ID, except); err != nil {
		return fmt.Errorf("revoke sessions after password change: %w", err)
	}
	purposes := []storage.OneTimePurpose{storage.PurposeMagicLink, storage.PurposePasswordReset}
	if _, err := a.cfg.Store.RevokeOneTimeForSubject(ctx, agent.OrgID, agent.ID, purposes, a.nowMs()); err != nil {
		return fmt.Errorf("revoke pending links after password change: %w", err)
	}
	_ = a.sendMail(r, mail.Message{OrgID: agent.OrgID, To: agent.Email, Kind: mail.KindPasswordChange,
		Subject: "Your helpr password was changed",
		Text: fmt.Sprintf("The password of your helpr account at %s was just changed, and its other sessions "+
			"were signed out.\n\nIf this was not you, reset your password now from the sign-in page and tell "+
			"your organisation's owner.\n", a.orgName(ctx, agent.OrgID))})
	return nil
}
