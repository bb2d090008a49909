package api

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
)

// Second-factor limits (NIST SP 800-63B §5.2.2), per agent and separate
// from the password login limits: the 5th consecutive failure and every
// one after it make the next attempt wait, 1 s doubling up to 15 minutes;
// after storage.MaxMFAFailures (100) consecutive failures the second
// factor is locked until a password reset clears the count.
const (
	mfaBackoffFrom = 5
	mfaBackoffBase = time.Second
	mfaBackoffMax  = 15 * time.Minute
)

// reasonInvalidCode labels a failed second factor in
// helpr_auth_failures_total.
const reasonInvalidCode = "invalid_code"

// errInvalidCode is every second-factor failure, a lock included: the
// answer never says which.
var errInvalidCode = httpx.NewError(http.StatusUnauthorized, httpx.CodeInvalidCode, "the code is not valid")

// errMFAOff means the agent has no second factor to check.
var errMFAOff = errors.New("two-factor authentication is not enabled")

// mfaBackoff is the wait after the n-th consecutive failure.
func mfaBackoff(n int) time.Duration {
	if n < mfaBackoffFrom {
		return 0
	}
	shift := n - mfaBackoffFrom
	if shift >= 10 { // 2^10 s is past the cap
		return mfaBackoffMax
	}
	return min(mfaBackoffBase<<shift, mfaBackoffMax)
}

// Second-factor kinds, as in the mfa_required answer's methods and the
// auth.login detail.
const (
	factorTOTP   = "totp"
	factorBackup = "backup_code"
)

// secondFactor is a presented TOTP code or backup code.
type secondFactor struct {
	kind  string
	value string // a TOTP code, or a normalised backup code
}

// checkSecondFactor charges one attempt to agent's second factor, then
// checks f: a TOTP code is accepted once (its step recorded by
// compare-and-set), a backup code is consumed by one conditional write.
// It reports false (audited as auth.mfa_failed) when f is wrong, replayed
// or used, when the agent is locked or in backoff, or when another attempt
// of the agent is being checked at the same moment. Success clears the
// failure count. errMFAOff if TOTP is not enabled.
func (a *API) checkSecondFactor(r *http.Request, agent storage.Agent, f secondFactor) (bool, error) {
	now := a.now()
	st, err := a.cfg.Store.GetMFA(r.Context(), agent.OrgID, agent.ID)
	if errors.Is(err, storage.ErrNotFound) || err == nil && !st.Enabled() {
		return false, errMFAOff
	}
	if err != nil {
		return false, fmt.Errorf("load second factor: %w", err)
	}
	if reason, err := a.chargeSecondFactor(r, st, now); reason != "" || err != nil {
		a.mfaFailed(r, agent, f.kind, reason)
		return false, err
	}
	reason, err := a.matchSecondFactor(r, st, f, now)
	if err != nil {
		return false, err
	}
	if reason != "" {
		a.mfaFailed(r, agent, f.kind, reason)
		return false, nil
	}
	if err := a.cfg.Store.ClearMFAFailures(r.Context(), agent.OrgID, agent.ID); err != nil {
		a.log.Warn().Err(err).Str("agent_id", agent.ID).Msg("clear second-factor failures failed")
	}
	return true, nil
}

// chargeSecondFactor counts the attempt before any comparison; a
// non-empty reason refuses it (locked, backoff, concurrent).
func (a *API) chargeSecondFactor(r *http.Request, st storage.MFAState, now time.Time) (string, error) {
	switch {
	case st.Locked():
		return "locked", nil
	case now.Before(st.NextAttemptAt):
		return "backoff", nil
	}
	var next time.Time
	if d := mfaBackoff(st.Failures + 1); d > 0 {
		next = now.Add(d)
	}
	err := a.cfg.Store.ChargeMFAAttempt(r.Context(), st.OrgID, st.AgentID, st.Failures, now, next)
	if errors.Is(err, storage.ErrConflict) {
		return "concurrent", nil
	}
	if err != nil {
		return "", fmt.Errorf("charge second factor: %w", err)
	}
	return "", nil
}

// matchSecondFactor checks f and uses it up; a non-empty reason refuses.
func (a *API) matchSecondFactor(r *http.Request, st storage.MFAState, f secondFactor, now time.Time) (string, error) {
	if f.kind == factorBackup {
		return a.useBackupCode(r, st, f.value, now)
	}
	step, ok := security.MatchTOTP(st.Secret, f.value, now)
	if !ok {
		return "wrong_code", nil
	}
	err := a.cfg.Store.UseTOTPStep(r.Context(), st.OrgID, st.AgentID, step)
	if errors.Is(err, storage.ErrConflict) || errors.Is(err, storage.ErrNotFound) {
		return "code_reused", nil
	}
	if err != nil {
		return "", fmt.Errorf("use totp step: %w", err)
	}
	return "", nil
}

// useBackupCode finds the agent's unused code matching normalized
// (comparing every stored hash in constant time) and consumes it.
func (a *API) useBackupCode(r *http.Request, st storage.MFAState, normalized string, now time.Time) (string, error) {
	codes, err := a.cfg.Store.ListBackupCodes(r.Context(), st.OrgID, st.AgentID)
	if err != nil {
		return "", fmt.Errorf("list backup codes: %w", err)
	}
	value := security.BackupCodeValue(st.OrgID, st.AgentID, normalized)
	match := ""
	for _, c := range codes {
		if a.cfg.Store.KeyedHashEqual(security.BackupCodePurpose, value, c.Hash) && match == "" {
			match = c.ID
		}
	}
	if match == "" {
		return "wrong_code", nil
	}
	err = a.cfg.Store.ConsumeBackupCode(r.Context(), st.OrgID, st.AgentID, match, now)
	if errors.Is(err, storage.ErrNotFound) {
		return "code_reused", nil
	}
	if err != nil {
		return "", fmt.Errorf("consume backup code: %w", err)
	}
	return "", nil
}

// mfaFailed audits and counts a refused second factor.
func (a *API) mfaFailed(r *http.Request, agent storage.Agent, kind, reason string) {
	if reason == "" {
		return
	}
	a.authFailed(reasonInvalidCode)
	a.audit(r, storage.AuditEvent{OrgID: agent.OrgID, ActorKind: storage.SubjectAgent, ActorID: agent.ID,
		Action: "auth.mfa_failed", TargetID: agent.ID, Detail: "factor=" + kind + ",reason=" + reason,
		Outcome: storage.AuditFailure})
}

// parseSecondFactor reads a presented code: a TOTP code (6 digits, spaces
// allowed) or, when backup is set or the code has that shape, a backup
// code. Anything else is a validation error.
func parseSecondFactor(code string, backup bool) (secondFactor, *httpx.Error) {
	if len(code) > 64 {
		return secondFactor{}, invalid("the code is too long")
	}
	if !backup {
		if c := security.NormalizeTOTPCode(code); len(c) == security.TOTPDigits && digits(c) {
			return secondFactor{kind: factorTOTP, value: c}, nil
		}
	}
	if n, ok := security.NormalizeBackupCode(code); ok {
		return secondFactor{kind: factorBackup, value: n}, nil
	}
	if backup {
		return secondFactor{}, invalid("backup_code must be a backup code (xxxxx-xxxxx)")
	}
	return secondFactor{}, invalid("code must be a 6-digit code")
}

// digits reports whether s is all ASCII digits.
func digits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
