package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
)

// totpIssuer names the hub in authenticator apps.
const totpIssuer = "helpr"

var (
	errTOTPEnabled    = httpx.NewError(http.StatusConflict, httpx.CodeConflict, "two-factor authentication is already enabled")
	errTOTPNotEnabled = httpx.NewError(http.StatusConflict, httpx.CodeConflict, "two-factor authentication is not enabled")
	errNoEnrolment    = httpx.NewError(http.StatusConflict, httpx.CodeConflict,
		"no two-factor enrolment is pending: call POST /auth/totp/setup first")
)

type totpStatusResponse struct {
	Enabled              bool `json:"enabled"`
	BackupCodesRemaining int  `json:"backup_codes_remaining"`
}

// handleTOTPStatus says whether the caller has TOTP on and how many backup
// codes are left.
func (a *API) handleTOTPStatus(w http.ResponseWriter, r *http.Request, c *caller) error {
	st, err := a.mfaState(r, c.Agent)
	if err != nil {
		return err
	}
	resp := totpStatusResponse{Enabled: st.Enabled()}
	if resp.Enabled {
		codes, err := a.cfg.Store.ListBackupCodes(r.Context(), c.Agent.OrgID, c.Agent.ID)
		if err != nil {
			return fmt.Errorf("list backup codes: %w", err)
		}
		resp.BackupCodesRemaining = len(codes)
	}
	httpx.WriteJSON(w, http.StatusOK, resp)
	return nil
}

// mfaState loads the agent's record; none is the zero state.
func (a *API) mfaState(r *http.Request, agent storage.Agent) (storage.MFAState, error) {
	st, err := a.cfg.Store.GetMFA(r.Context(), agent.OrgID, agent.ID)
	if errors.Is(err, storage.ErrNotFound) {
		return storage.MFAState{}, nil
	}
	if err != nil {
		return storage.MFAState{}, fmt.Errorf("load second factor: %w", err)
	}
	return st, nil
}

type totpSetupResponse struct {
	Secret     string `json:"secret"`
	OTPAuthURL string `json:"otpauth_url"`
	QRPNG      string `json:"qr_png"`
}

// handleTOTPSetup starts an enrolment: a new secret, stored sealed as
// pending (replacing an earlier pending one), shown once. Nothing is
// enabled until POST /auth/totp/enable proves the app has it.
func (a *API) handleTOTPSetup(w http.ResponseWriter, r *http.Request, c *caller) error {
	st, err := a.mfaState(r, c.Agent)
	if err != nil {
		return err
	}
	if st.Enabled() {
		return errTOTPEnabled
	}
	key, err := security.NewTOTPKey(totpIssuer, c.Agent.Email)
	if err != nil {
		return err
	}
	qr, err := security.TOTPQRCode(key.URL)
	if err != nil {
		return err
	}
	p := storage.PendingTOTP{OrgID: c.Agent.OrgID, AgentID: c.Agent.ID, ID: storage.NewID("totp"),
		Secret: key.Secret, CreatedAt: a.nowMs()}
	if err := a.cfg.Store.BeginTOTP(r.Context(), p); errors.Is(err, storage.ErrConflict) {
		return errTOTPEnabled
	} else if err != nil {
		return fmt.Errorf("begin totp: %w", err)
	}
	httpx.WriteJSON(w, http.StatusOK, totpSetupResponse{Secret: key.Secret, OTPAuthURL: key.URL, QRPNG: qr})
	return nil
}

type totpEnableRequest struct {
	Code string `json:"code"`
}

type backupCodesResponse struct {
	BackupCodes []string `json:"backup_codes"`
}

// handleTOTPEnable checks the first code against the pending secret and
// enables it with 10 new backup codes (shown once). The code's time step
// is recorded as used, so the enrolment code cannot sign anyone in.
func (a *API) handleTOTPEnable(w http.ResponseWriter, r *http.Request, c *caller) error {
	var req totpEnableRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	f, e := parseSecondFactor(req.Code, false)
	if e != nil || f.kind != factorTOTP {
		return invalid("code must be a 6-digit code")
	}
	st, err := a.mfaState(r, c.Agent)
	switch {
	case err != nil:
		return err
	case st.Enabled():
		return errTOTPEnabled
	case st.PendingID == "":
		return errNoEnrolment
	}
	step, ok := security.MatchTOTP(st.PendingSecret, f.value, a.now())
	if !ok {
		a.authFailed(reasonInvalidCode)
		return errInvalidCode
	}
	plain, codes := a.newBackupCodes(c.Agent)
	err = a.cfg.Store.EnableTOTP(r.Context(), c.Agent.OrgID, c.Agent.ID, st.PendingID, step, codes, a.nowMs())
	if errors.Is(err, storage.ErrConflict) {
		return errNoEnrolment
	}
	if err != nil {
		return fmt.Errorf("enable totp: %w", err)
	}
	a.auditSelf(r, c.Agent, "auth.totp_enabled", "")
	httpx.WriteJSON(w, http.StatusOK, backupCodesResponse{BackupCodes: plain})
	return nil
}

// newBackupCodes returns a fresh set of backup codes: the codes to show
// once, and their stored form (keyed hashes bound to the agent).
func (a *API) newBackupCodes(agent storage.Agent) ([]string, []storage.BackupCode) {
	now := a.nowMs()
	plain := make([]string, security.BackupCodeCount)
	codes := make([]storage.BackupCode, security.BackupCodeCount)
	for i := range plain {
		plain[i] = security.NewBackupCode()
		n, _ := security.NormalizeBackupCode(plain[i])
		codes[i] = storage.BackupCode{ID: storage.NewID("bkc"), CreatedAt: now,
			Hash: a.cfg.Store.KeyedHash(security.BackupCodePurpose, security.BackupCodeValue(agent.OrgID, agent.ID, n))}
	}
	return plain, codes
}

// auditSelf audits a successful action of agent on its own account.
func (a *API) auditSelf(r *http.Request, agent storage.Agent, action, detail string) {
	a.audit(r, storage.AuditEvent{OrgID: agent.OrgID, ActorKind: storage.SubjectAgent, ActorID: agent.ID,
		Action: action, TargetID: agent.ID, Detail: detail, Outcome: storage.AuditSuccess})
}

type totpDisableRequest struct {
	Password string `json:"password"`
	Code     string `json:"code"`
}

// handleTOTPDisable turns TOTP off after re-authentication: the password
// and a current code (a TOTP code, accepted once, or a backup code), the
// code charged to the second-factor limit like a sign-in.
func (a *API) handleTOTPDisable(w http.ResponseWriter, r *http.Request, c *caller) error {
	var req totpDisableRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	f, e := parseSecondFactor(req.Code, false)
	if e != nil {
		return e
	}
	if ok, err := a.reauthenticate(w, r, c.Agent, req.Password); !ok {
		return err
	}
	ok, err := a.checkSecondFactor(r, c.Agent, f)
	switch {
	case errors.Is(err, errMFAOff):
		return errTOTPNotEnabled
	case err != nil:
		return err
	case !ok:
		return errInvalidCode
	}
	if f.kind == factorBackup {
		a.backupCodeUsed(r, c.Agent)
	}
	if err := a.cfg.Store.DisableTOTP(r.Context(), c.Agent.OrgID, c.Agent.ID); errors.Is(err, storage.ErrNotFound) {
		return errTOTPNotEnabled
	} else if err != nil {
		return fmt.Errorf("disable totp: %w", err)
	}
	a.auditSelf(r, c.Agent, "auth.totp_disabled", "")
	httpx.WriteJSON(w, http.StatusOK, struct{}{})
	return nil
}

type regenerateRequest struct {
	Password string `json:"password"`
}

// handleRegenerateBackupCodes replaces every backup code with 10 new ones
// after the password is proved again; the old codes stop working at once.
func (a *API) handleRegenerateBackupCodes(w http.ResponseWriter, r *http.Request, c *caller) error {
	var req regenerateRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if ok, err := a.reauthenticate(w, r, c.Agent, req.Password); !ok {
		return err
	}
	plain, codes := a.newBackupCodes(c.Agent)
	err := a.cfg.Store.ReplaceBackupCodes(r.Context(), c.Agent.OrgID, c.Agent.ID, codes)
	if errors.Is(err, storage.ErrNotFound) {
		return errTOTPNotEnabled
	}
	if err != nil {
		return fmt.Errorf("replace backup codes: %w", err)
	}
	a.auditSelf(r, c.Agent, "auth.backup_codes_regenerated", "")
	httpx.WriteJSON(w, http.StatusOK, backupCodesResponse{BackupCodes: plain})
	return nil
}

// reauthenticate checks agent's password for a sensitive change, charged
// to the account's login limit so it cannot be used to guess passwords.
// It reports whether the caller may go on; when not, err is the answer
// (401 invalid_credentials), or nil when the limiter already answered.
func (a *API) reauthenticate(w http.ResponseWriter, r *http.Request, agent storage.Agent, password string) (bool, error) {
	if password == "" {
		return false, invalid("password is required")
	}
	if !a.admit(w, r, a.loginUser, agent.Email) {
		return false, nil
	}
	if security.PasswordTooLong(password) || agent.PasswordHash == "" {
		a.authFailed(reasonInvalidCredentials)
		return false, errInvalidCredentials
	}
	ok, _, err := a.cfg.Hasher.Verify(r.Context(), agent.PasswordHash, password)
	if err != nil {
		return false, fmt.Errorf("verify password: %w", err)
	}
	if !ok {
		a.authFailed(reasonInvalidCredentials)
		return false, errInvalidCredentials
	}
	return true, nil
}
