package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
	"github.com/helpr-chat/helpr/transport/mail"
)

// The ticket between the two sign-in steps: a one-time token (purpose
// mfa_ticket) that lives 5 minutes, is consumed by the successful second
// step and takes at most mfaTicketAttempts tries (the per-agent failure
// limit applies on top).
const (
	mfaTicketTTL      = 5 * time.Minute
	mfaTicketAttempts = 10
)

// errInvalidTicket is the answer for a ticket that is unknown, expired,
// used up or consumed, or whose account can no longer sign in.
var errInvalidTicket = httpx.NewError(http.StatusUnauthorized, httpx.CodeInvalidToken,
	"the sign-in ticket is invalid or expired; sign in again")

// mfaTicketData is what a ticket remembers of the first step (sealed by
// the SealedStore): how it was proved, whether to remember the session,
// and a password hash upgrade to apply when the session starts.
type mfaTicketData struct {
	Method   string `json:"method"`
	Remember bool   `json:"remember,omitempty"`
	Rehash   string `json:"rehash,omitempty"`
}

type mfaRequiredResponse struct {
	MFARequired bool     `json:"mfa_required"`
	MFATicket   string   `json:"mfa_ticket"`
	Methods     []string `json:"methods"`
}

// startSecondStep answers a proved first factor of an agent with TOTP on:
// a ticket bound to the agent and the first-factor method, and no tokens
// or cookies.
func (a *API) startSecondStep(w http.ResponseWriter, r *http.Request, agent storage.Agent, newHash string, remember bool, method string) error {
	data, err := json.Marshal(mfaTicketData{Method: method, Remember: remember, Rehash: newHash})
	if err != nil {
		return fmt.Errorf("encode mfa ticket: %w", err)
	}
	token, id := security.NewOneTimeToken(security.MFATicketPrefix)
	now := a.nowMs()
	t := storage.OneTime{ID: id, Purpose: storage.PurposeMFATicket, OrgID: agent.OrgID, SubjectID: agent.ID,
		Data: string(data), MaxAttempts: mfaTicketAttempts, CreatedAt: now, ExpiresAt: now.Add(mfaTicketTTL)}
	if err := a.cfg.Store.PutOneTime(r.Context(), t); err != nil {
		return fmt.Errorf("store mfa ticket: %w", err)
	}
	httpx.WriteJSON(w, http.StatusOK, mfaRequiredResponse{MFARequired: true, MFATicket: token,
		Methods: []string{factorTOTP, factorBackup}})
	return nil
}

type mfaVerifyRequest struct {
	Ticket     string `json:"mfa_ticket"`
	Code       string `json:"code"`
	BackupCode string `json:"backup_code"`
	Remember   *bool  `json:"remember"`
}

// factor returns the presented factor: exactly one of code and
// backup_code.
func (q mfaVerifyRequest) factor() (secondFactor, *httpx.Error) {
	switch {
	case q.Code != "" && q.BackupCode != "":
		return secondFactor{}, invalid("send code or backup_code, not both")
	case q.Code != "":
		f, e := parseSecondFactor(q.Code, false)
		if e == nil && f.kind != factorTOTP {
			return secondFactor{}, invalid("code must be a 6-digit code; send a backup code as backup_code")
		}
		return f, e
	case q.BackupCode != "":
		return parseSecondFactor(q.BackupCode, true)
	}
	return secondFactor{}, invalid("code or backup_code is required")
}

// handleMFAVerify is the second sign-in step: the ticket and a TOTP code
// or backup code give the token pair. Rate limited per client IP like the
// login.
func (a *API) handleMFAVerify(w http.ResponseWriter, r *http.Request) error {
	if !a.admit(w, r, a.loginIP, httpx.IPLimitKey(a.clientIP(r))) {
		return nil
	}
	var req mfaVerifyRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	f, e := req.factor()
	if e != nil {
		return e
	}
	ticket, data, err := a.chargeTicket(r, req.Ticket)
	if err != nil {
		return err
	}
	agent, err := a.ticketAgent(r, ticket)
	if err != nil {
		return err
	}
	ok, err := a.checkSecondFactor(r, agent, f)
	switch {
	case errors.Is(err, errMFAOff):
		return errInvalidTicket
	case err != nil:
		return err
	case !ok:
		return errInvalidCode
	}
	if _, err := a.cfg.Store.ConsumeOneTime(r.Context(), storage.PurposeMFATicket, ticket.ID, a.now()); err != nil {
		return ticketError("consume mfa ticket", err)
	}
	if f.kind == factorBackup {
		a.backupCodeUsed(r, agent)
	}
	remember := data.Remember
	if req.Remember != nil {
		remember = *req.Remember
	}
	return a.startSignedIn(w, r, agent, data.Rehash, remember, data.Method+",mfa="+f.kind)
}

// chargeTicket counts one try of the presented ticket and returns it.
func (a *API) chargeTicket(r *http.Request, token string) (storage.OneTime, mfaTicketData, error) {
	id, ok := security.OneTimeID(token, security.MFATicketPrefix)
	if !ok {
		return storage.OneTime{}, mfaTicketData{}, errInvalidTicket
	}
	t, err := a.cfg.Store.ChargeOneTimeAttempt(r.Context(), storage.PurposeMFATicket, id, a.now())
	if err != nil {
		return storage.OneTime{}, mfaTicketData{}, ticketError("charge mfa ticket", err)
	}
	var d mfaTicketData
	if err := json.Unmarshal([]byte(t.Data), &d); err != nil || d.Method == "" {
		return storage.OneTime{}, mfaTicketData{}, errInvalidTicket
	}
	return t, d, nil
}

// ticketError turns a refused ticket into errInvalidTicket and keeps any
// other error.
func ticketError(op string, err error) error {
	if errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrConflict) {
		return errInvalidTicket
	}
	return fmt.Errorf("%s: %w", op, err)
}

// ticketAgent loads the ticket's agent; one erased since the first step
// (or gone) makes the ticket invalid.
func (a *API) ticketAgent(r *http.Request, t storage.OneTime) (storage.Agent, error) {
	agent, err := a.cfg.Store.GetAgent(r.Context(), t.OrgID, t.SubjectID)
	if errors.Is(err, storage.ErrNotFound) || err == nil && agent.Deleted() {
		return storage.Agent{}, errInvalidTicket
	}
	if err != nil {
		return storage.Agent{}, fmt.Errorf("load agent of mfa ticket: %w", err)
	}
	return agent, nil
}

// backupCodeUsed audits a backup code sign-in and tells the holder by
// mail (how many codes are left, never a code). A mail failure does not
// fail the sign-in.
func (a *API) backupCodeUsed(r *http.Request, agent storage.Agent) {
	left := -1
	if codes, err := a.cfg.Store.ListBackupCodes(r.Context(), agent.OrgID, agent.ID); err == nil {
		left = len(codes)
	}
	a.audit(r, storage.AuditEvent{OrgID: agent.OrgID, ActorKind: storage.SubjectAgent, ActorID: agent.ID,
		Action: "auth.backup_code_used", TargetID: agent.ID, Detail: "remaining=" + strconv.Itoa(left),
		Outcome: storage.AuditSuccess})
	_ = a.sendMail(r, mail.Message{OrgID: agent.OrgID, To: agent.Email, Kind: mail.KindBackupCodeUsed,
		Subject: "A backup code was used on your helpr account", Text: backupCodeMailText(a.cfg.PublicOrigin, left, a.now())})
}

// backupCodeMailText is the body of the backup-code-used mail.
func backupCodeMailText(origin string, left int, at time.Time) string {
	remaining := "Your remaining backup codes are listed on your security page."
	if left >= 0 {
		remaining = fmt.Sprintf("You have %d backup codes left.", left)
	}
	return "A backup code was just used on your helpr account (" + at.UTC().Format(time.RFC1123) + ").\n\n" +
		remaining + "\n\nIf this was not you, reset your password now and regenerate your backup codes:\n" +
		origin + "/console/#security\n"
}
