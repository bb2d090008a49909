package api

import (
	"fmt"
	"net/http"

	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
)

type passwordChangeRequest struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

// handlePasswordChange changes the signed-in agent's password: 200 {}. The
// new password must meet the policy (validation_failed); the current one
// is checked through the hasher (constant time), charged to the account's
// login limit, and a wrong one is 401 invalid_credentials. Every other
// session of the account is revoked; the caller's stays.
func (a *API) handlePasswordChange(w http.ResponseWriter, r *http.Request, c *caller) error {
	var req passwordChangeRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.CurrentPassword == "" {
		return invalid("current_password is required")
	}
	if err := security.ValidatePassword(req.NewPassword); err != nil {
		return passwordError(err)
	}
	if !a.admit(w, r, a.loginUser, c.Agent.Email) {
		return nil
	}
	if err := a.checkCurrentPassword(r, c, req.CurrentPassword); err != nil {
		return err
	}
	hash, err := a.cfg.Hasher.Hash(r.Context(), req.NewPassword)
	if err != nil {
		return fmt.Errorf("hash password: %w", err)
	}
	if err := a.setPassword(r, c.Agent, hash, c.SessionID); err != nil {
		return err
	}
	a.audit(r, storage.AuditEvent{OrgID: c.OrgID, ActorKind: storage.SubjectAgent, ActorID: c.SubjectID,
		Action: "auth.password_changed", TargetID: c.SubjectID, Outcome: storage.AuditSuccess})
	httpx.WriteJSON(w, http.StatusOK, struct{}{})
	return nil
}

// checkCurrentPassword verifies the caller's current password; a wrong one
// is audited (auth.password_changed, outcome failure) and answered 401
// invalid_credentials.
func (a *API) checkCurrentPassword(r *http.Request, c *caller, password string) error {
	ok := false
	if security.PasswordTooLong(password) {
		a.cfg.Hasher.VerifyDummy(r.Context(), password)
	} else {
		var err error
		ok, _, err = a.cfg.Hasher.Verify(r.Context(), c.Agent.PasswordHash, password)
		if err != nil {
			return fmt.Errorf("verify password: %w", err)
		}
	}
	if !ok {
		a.audit(r, storage.AuditEvent{OrgID: c.OrgID, ActorKind: storage.SubjectAgent, ActorID: c.SubjectID,
			Action: "auth.password_changed", TargetID: c.SubjectID, Detail: "wrong current password",
			Outcome: storage.AuditFailure})
		a.authFailed(reasonInvalidCredentials)
		return errInvalidCredentials
	}
	return nil
}
