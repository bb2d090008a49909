package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
	"github.com/helpr-chat/helpr/transport/mail"
)

// MagicLinkTTL is how long an emailed sign-in link works.
const MagicLinkTTL = 15 * time.Minute

// errLinkInvalid answers a sign-in link or invitation token that is
// malformed, unknown, expired, revoked or already used (401 invalid_token).
var errLinkInvalid = httpx.NewError(http.StatusUnauthorized, httpx.CodeInvalidToken,
	"this link is invalid, expired or already used")

// Auth failure reasons of the link flows (helpr_auth_failures_total).
const (
	reasonLinkInvalid = "invalid_token"
	reasonResetCode   = "invalid_code"
)

// mailRequest is the body of POST /auth/magic-link and /auth/password/forgot.
type mailRequest struct {
	Email string `json:"email"`
}

// handleMagicLink emails a sign-in link to every account of the address
// (one per organisation). The answer is 202 {} whether or not the address
// has an account: see answerMailRequest.
func (a *API) handleMagicLink(w http.ResponseWriter, r *http.Request) error {
	return a.answerMailRequest(w, r, a.links.magicIP, a.links.magicAddress, a.sendMagicLink)
}

// answerMailRequest is the front of a flow that mails the accounts of an
// address. It charges the per-IP then the per-address limit (both before
// any lookup, so a refusal says nothing about the address), validates the
// address and answers 202 {}; only then, off the request (mailInBackground),
// is the address looked up and send called for each live account. The
// answer's status, body and timing, and when its connection is free
// again, are therefore the same for an address with accounts and one
// without.
func (a *API) answerMailRequest(w http.ResponseWriter, r *http.Request, ipLimit, addressLimit limiter,
	send func(ctx context.Context, r *http.Request, agent storage.Agent)) error {
	if !a.admit(w, r, ipLimit, httpx.IPLimitKey(a.clientIP(r))) {
		return nil
	}
	var req mailRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	email, e := normEmail("email", req.Email)
	if e != nil {
		return e
	}
	if !a.admit(w, r, addressLimit, email) {
		return nil
	}
	if a.cfg.Mailer == nil {
		return errMailUnavailable
	}
	a.mailInBackground(r, email, send)
	httpx.WriteJSON(w, http.StatusAccepted, struct{}{})
	return nil
}

// maxMailWorkers bounds the mail requests handled off their request at
// once; beyond it one is handled before its answer (still correct, only
// slower).
const maxMailWorkers = 64

// mailInBackground looks email up and calls send for each live account,
// on its own goroutine (counted in pending, see Wait) with a copy of r
// detached from its cancellation. Failures are logged, never the address.
func (a *API) mailInBackground(r *http.Request, email string,
	send func(ctx context.Context, r *http.Request, agent storage.Agent)) {
	ctx := context.WithoutCancel(r.Context())
	rc := r.Clone(ctx)
	rc.Body = http.NoBody
	work := func() {
		defer a.links.pending.Done()
		agents, err := a.cfg.Store.ListAgentsByEmail(ctx, email)
		if err != nil {
			a.log.Error().Err(err).Str("route", rc.URL.Path).Msg("mail request: look up accounts failed")
			return
		}
		for _, ag := range agents {
			if !ag.Deleted() && !ag.Deactivated() { // offboarded: no links, no codes
				send(ctx, rc, ag)
			}
		}
	}
	a.links.pending.Add(1)
	select {
	case a.links.workers <- struct{}{}:
		go func() {
			defer func() { <-a.links.workers }()
			work()
		}()
	default:
		work()
	}
}

// Wait returns once every mail request answered so far has been handled
// (its lookup done and its mail queued): call it on shutdown, after the
// HTTP server stopped, so no accepted request is dropped.
func (a *API) Wait() { a.links.pending.Wait() }

// errMailUnavailable answers a mail flow on a hub without a Mailer.
var errMailUnavailable = httpx.NewError(http.StatusServiceUnavailable, codeUnavailable,
	"this hub cannot send email")

// sendMagicLink stores a new sign-in link for agent (by its hash) and
// mails it. Earlier links stay valid until they expire or are used: each
// is single use and short-lived, and revoking them would let anyone who
// knows the address cancel the owner's link by asking for another.
func (a *API) sendMagicLink(ctx context.Context, r *http.Request, agent storage.Agent) {
	token, id := security.NewOneTimeToken(security.MagicLinkPrefix)
	now := a.nowMs()
	t := storage.OneTime{ID: id, Purpose: storage.PurposeMagicLink, OrgID: agent.OrgID, SubjectID: agent.ID,
		CreatedAt: now, ExpiresAt: now.Add(MagicLinkTTL)}
	if err := a.cfg.Store.PutOneTime(ctx, t); err != nil {
		a.log.Error().Err(err).Str("agent_id", agent.ID).Msg("magic link not stored")
		return
	}
	link := a.cfg.PublicOrigin + "/console/#magic=" + token
	m := mail.Message{OrgID: agent.OrgID, To: agent.Email, Kind: mail.KindMagicLink,
		Subject: "Your helpr sign-in link",
		Text: fmt.Sprintf("Someone asked to sign in to %s on helpr with this address.\n\n"+
			"Open this link within 15 minutes to sign in (it works once):\n\n%s\n\n"+
			"If it was not you, ignore this mail: nobody can sign in without the link.\n",
			a.orgName(ctx, agent.OrgID), link)}
	if a.sendMail(r, m) != nil {
		return
	}
	a.audit(r, storage.AuditEvent{OrgID: agent.OrgID, Action: "auth.magic_link_sent", TargetID: agent.ID,
		Outcome: storage.AuditSuccess})
}

// orgName is the organisation's name for a mail ("your organisation" if
// it cannot be read).
func (a *API) orgName(ctx context.Context, orgID string) string {
	org, err := a.cfg.Store.GetOrg(ctx, orgID)
	if err != nil || org.Name == "" {
		return "your organisation"
	}
	return org.Name
}

type magicConsumeRequest struct {
	Token    string `json:"token"`
	Remember bool   `json:"remember"`
}

// handleMagicLinkConsume signs in with an emailed link's token: the token
// is consumed by one conditional write, so of concurrent uses exactly one
// signs in; then the sign-in goes on like a password's (completeSignIn: an
// account with a second factor gets that step). A malformed, unknown,
// expired or used token is 401 invalid_token.
func (a *API) handleMagicLinkConsume(w http.ResponseWriter, r *http.Request) error {
	var req magicConsumeRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	id, ok := security.OneTimeID(req.Token, security.MagicLinkPrefix)
	if !ok {
		return a.magicLinkFailed(r, "", "malformed")
	}
	t, err := a.cfg.Store.ConsumeOneTime(r.Context(), storage.PurposeMagicLink, id, a.nowMs())
	if errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrConflict) {
		return a.magicLinkFailed(r, id, "expired or used")
	}
	if err != nil {
		return fmt.Errorf("consume magic link: %w", err)
	}
	agent, err := a.cfg.Store.GetAgent(r.Context(), t.OrgID, t.SubjectID)
	if errors.Is(err, storage.ErrNotFound) || err == nil && (agent.Deleted() || agent.Deactivated()) {
		return a.magicLinkFailed(r, id, "account gone")
	}
	if err != nil {
		return fmt.Errorf("load agent of magic link: %w", err)
	}
	return a.completeSignIn(w, r, agent, "", req.Remember, methodMagicLink)
}

// magicLinkFailed audits auth.magic_link_failed (under the token's
// organisation when the token is known) and returns errLinkInvalid.
func (a *API) magicLinkFailed(r *http.Request, id, why string) error {
	e := storage.AuditEvent{Action: "auth.magic_link_failed", Detail: why, Outcome: storage.AuditFailure}
	if id != "" {
		if t, err := a.cfg.Store.GetOneTime(r.Context(), storage.PurposeMagicLink, id); err == nil {
			e.OrgID, e.TargetID = t.OrgID, t.SubjectID
		} else {
			e.Detail = "unknown"
		}
	}
	a.audit(r, e)
	a.authFailed(reasonLinkInvalid)
	return errLinkInvalid
}
