package api

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
)

var errInvalidCredentials = httpx.NewError(http.StatusUnauthorized, httpx.CodeInvalidCredentials,
	"invalid email or password")

type registerRequest struct {
	OrgName  string `json:"org_name"`
	Name     string `json:"name"`
	Email    string `json:"email"`
	Password string `json:"password"`
}

type registerResponse struct {
	Organization orgView   `json:"organization"`
	Agent        agentView `json:"agent"`
}

// handleRegister creates an organisation with its owner. Rate limited per
// client IP before anything else is looked at (503 if the limit cannot be
// checked).
func (a *API) handleRegister(w http.ResponseWriter, r *http.Request) error {
	if !a.admit(w, r, a.register, httpx.IPLimitKey(a.clientIP(r))) {
		return nil
	}
	var req registerRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	org, owner, err := a.newOrg(r, req)
	if err != nil {
		return err
	}
	if err := a.cfg.Store.CreateOrgWithOwner(r.Context(), org, owner); err != nil {
		if errors.Is(err, storage.ErrConflict) {
			return httpx.NewError(http.StatusConflict, httpx.CodeConflict, "the new organisation conflicts with a stored record; retry")
		}
		return fmt.Errorf("create organisation: %w", err)
	}
	a.audit(r, storage.AuditEvent{OrgID: org.ID, ActorKind: storage.SubjectAgent, ActorID: owner.ID,
		Action: "org.registered", TargetID: org.ID})
	httpx.WriteJSON(w, http.StatusCreated, registerResponse{
		Organization: orgView{ID: org.ID, Name: org.Name}, Agent: viewAgent(owner)})
	return nil
}

// newOrg validates a registration and builds its records, hashing the password.
func (a *API) newOrg(r *http.Request, req registerRequest) (storage.Organization, storage.Agent, error) {
	orgName, e := requiredText("org_name", req.OrgName, maxNameLen)
	if e != nil {
		return storage.Organization{}, storage.Agent{}, e
	}
	owner, err := a.newAgent(r, req.Name, req.Email, req.Password, storage.RoleOwner)
	if err != nil {
		return storage.Organization{}, storage.Agent{}, err
	}
	org := storage.Organization{ID: storage.NewID("org"), Name: orgName, CreatedAt: owner.CreatedAt}
	owner.OrgID = org.ID
	return org, owner, nil
}

// newAgent validates name, email and password and returns an agent with a
// fresh id and password hash (OrgID left to the caller).
func (a *API) newAgent(r *http.Request, name, email, password string, role storage.Role) (storage.Agent, error) {
	name, e := requiredText("name", name, maxNameLen)
	if e != nil {
		return storage.Agent{}, e
	}
	email, e = normEmail("email", email)
	if e != nil {
		return storage.Agent{}, e
	}
	if err := security.ValidatePassword(password); err != nil {
		return storage.Agent{}, passwordError(err)
	}
	hash, err := a.cfg.Hasher.Hash(r.Context(), password)
	if err != nil {
		return storage.Agent{}, fmt.Errorf("hash password: %w", err)
	}
	return storage.Agent{ID: storage.NewID("agt"), Name: name, Email: email, Role: role,
		PasswordHash: hash, CreatedAt: a.nowMs()}, nil
}

type loginRequest struct {
	Email      string `json:"email"`
	Password   string `json:"password"`
	RememberMe bool   `json:"remember_me"`
	// OrganizationID picks the organisation when the email and password
	// match agents of several ("" = the only one).
	OrganizationID string `json:"organization_id"`
}

// handleLogin signs an agent in. Both limits (client IP, then account) are
// charged before any hashing (503 if they cannot be checked); unknown
// accounts and wrong passwords get the same answer at the same cost. When
// the password matches the email's agents in several organisations and the
// request names none, the answer is 409 organization_required listing
// those organisations (loginChoice).
func (a *API) handleLogin(w http.ResponseWriter, r *http.Request) error {
	if !a.admit(w, r, a.loginIP, httpx.IPLimitKey(a.clientIP(r))) {
		return nil
	}
	var req loginRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	email := strings.ToLower(strings.TrimSpace(req.Email))
	if email == "" || req.Password == "" {
		return invalid("email and password are required")
	}
	if security.PasswordTooLong(req.Password) {
		// No stored password can be this long: refuse before any lookup, so
		// the answer says nothing about the account.
		a.authFailed(reasonInvalidCredentials)
		return errInvalidCredentials
	}
	if !a.admit(w, r, a.loginUser, email) {
		return nil
	}
	if req.OrganizationID != "" && !validID(req.OrganizationID) {
		return invalid("organization_id is not a valid id")
	}
	agent, newHash, err := a.checkPassword(r, email, req.Password, req.OrganizationID)
	if err != nil {
		return a.writeLoginChoice(w, r, err)
	}
	return a.completeSignIn(w, r, agent, newHash, req.RememberMe, methodPassword)
}

// rehash returns a fresh hash of password, or "" (no upgrade this time) if
// hashing fails; the login still succeeds.
func (a *API) rehash(r *http.Request, agent storage.Agent, password string) string {
	h, err := a.cfg.Hasher.Hash(r.Context(), password)
	if err != nil {
		a.log.Warn().Err(err).Str("agent_id", agent.ID).Msg("password rehash failed")
		return ""
	}
	return h
}

// startAgentSession starts the session; a non-empty newHash upgrades the
// stored password hash in the same write.
func (a *API) startAgentSession(r *http.Request, agent storage.Agent, newHash string, remember bool) (security.Issued, error) {
	p := security.StartParams{OrgID: agent.OrgID, Kind: storage.SubjectAgent, SubjectID: agent.ID,
		RememberMe: remember, IP: a.clientIP(r), UserAgent: truncate(r.UserAgent(), maxUALen)}
	if newHash != "" {
		p.Rehash = &storage.PasswordRehash{OrgID: agent.OrgID, AgentID: agent.ID, NewHash: newHash}
	}
	issued, err := a.cfg.Sessions.Start(r.Context(), p)
	if err != nil {
		return security.Issued{}, fmt.Errorf("start session: %w", err)
	}
	return issued, nil
}

type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
}

// writeTokens answers 200 with the token pair and sets both cookies.
func (a *API) writeTokens(w http.ResponseWriter, is security.Issued) {
	now := a.now()
	accessTTL := is.AccessExpiresAt.Sub(now)
	secure := a.cfg.SecureCookies
	httpx.SetTokenCookie(w, httpx.AccessCookie, is.AccessToken, accessTTL, secure)
	httpx.SetTokenCookie(w, httpx.RefreshCookie, is.RefreshToken, is.RefreshExpiresAt.Sub(now), secure)
	httpx.WriteJSON(w, http.StatusOK, tokenResponse{AccessToken: is.AccessToken,
		RefreshToken: is.RefreshToken, TokenType: "Bearer", ExpiresIn: seconds(accessTTL)})
}

// seconds rounds d to the nearest whole second.
func seconds(d time.Duration) int64 { return int64((d + time.Second/2) / time.Second) }

func (a *API) clearCookies(w http.ResponseWriter) {
	httpx.ClearTokenCookie(w, httpx.AccessCookie, a.cfg.SecureCookies)
	httpx.ClearTokenCookie(w, httpx.RefreshCookie, a.cfg.SecureCookies)
}
