package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
)

// codeOrganizationRequired answers a sign-in whose email and password match
// agents of several organisations without naming one (409).
const codeOrganizationRequired = "organization_required"

// loginChoice is the error checkPassword returns when the password matched
// in several organisations and the request named none.
type loginChoice struct {
	agents []storage.Agent // the matching agents, oldest first
}

func (c *loginChoice) Error() string {
	return fmt.Sprintf("password matches agents of %d organisations", len(c.agents))
}

type orgChoiceResponse struct {
	Error         *httpx.Error `json:"error"`
	Organizations []orgView    `json:"organizations"`
}

// writeLoginChoice writes the 409 organization_required answer when err is
// a loginChoice, listing the organisations where the password matched, and
// returns nil; any other err is returned as it is.
func (a *API) writeLoginChoice(w http.ResponseWriter, r *http.Request, err error) error {
	var choice *loginChoice
	if !errors.As(err, &choice) {
		return err
	}
	orgs := make([]orgView, 0, len(choice.agents))
	for _, ag := range choice.agents {
		org, err := a.cfg.Store.GetOrg(r.Context(), ag.OrgID)
		if err != nil {
			return fmt.Errorf("load organisation of agent %s: %w", ag.ID, err)
		}
		orgs = append(orgs, orgView{ID: org.ID, Name: org.Name})
	}
	httpx.WriteJSON(w, http.StatusConflict, orgChoiceResponse{
		Error: &httpx.Error{Code: codeOrganizationRequired,
			Message: "this email and password sign in to several organisations: choose one (organization_id)"},
		Organizations: orgs})
	return nil
}

// checkPassword returns the agent whose password matches (with a new hash
// when the stored one needs an upgrade), or errInvalidCredentials after the
// same hashing work as a failed check of one account, or a *loginChoice.
//
// The email's agents (at most storage.MaxAgentsByEmail, one per
// organisation) are candidates; orgID, when set, keeps only that
// organisation's. The password is verified against every candidate, so
// which organisations match is known only to someone holding the password;
// with no candidate one dummy verification stands in, so an unknown email
// costs what a wrong password does.
func (a *API) checkPassword(r *http.Request, email, password, orgID string) (agent storage.Agent, newHash string, err error) {
	candidates, err := a.cfg.Store.ListAgentsByEmail(r.Context(), email)
	if err != nil {
		return storage.Agent{}, "", fmt.Errorf("look up agents: %w", err)
	}
	candidates = inOrg(candidates, orgID)
	if len(candidates) == 0 {
		a.cfg.Hasher.VerifyDummy(r.Context(), password)
		a.audit(r, storage.AuditEvent{Action: "auth.login_failed", Detail: "unknown account"})
		a.authFailed(reasonInvalidCredentials)
		return storage.Agent{}, "", errInvalidCredentials
	}
	matched, rehash, err := a.verifyEach(r, candidates, password)
	if err != nil {
		return storage.Agent{}, "", err
	}
	switch {
	case len(matched) == 0:
		for _, c := range candidates {
			a.audit(r, storage.AuditEvent{OrgID: c.OrgID, Action: "auth.login_failed",
				TargetID: c.ID, Detail: "wrong password"})
		}
		a.authFailed(reasonInvalidCredentials)
		return storage.Agent{}, "", errInvalidCredentials
	case len(matched) > 1:
		return storage.Agent{}, "", &loginChoice{agents: matched}
	}
	agent = matched[0]
	if rehash[agent.ID] {
		newHash = a.rehash(r, agent, password)
	}
	return agent, newHash, nil
}

// inOrg returns the agents of orgID among list, or list when orgID is "".
func inOrg(list []storage.Agent, orgID string) []storage.Agent {
	if orgID == "" {
		return list
	}
	for _, ag := range list {
		if ag.OrgID == orgID {
			return []storage.Agent{ag}
		}
	}
	return nil
}

// verifyEach verifies password against every candidate (erased and
// deactivated ones never match, at the same cost) and returns those it matches, in order, with the
// ids whose stored hash needs an upgrade.
func (a *API) verifyEach(r *http.Request, candidates []storage.Agent, password string) ([]storage.Agent, map[string]bool, error) {
	var matched []storage.Agent
	rehash := map[string]bool{}
	for _, ag := range candidates {
		if ag.Deleted() || ag.Deactivated() {
			a.cfg.Hasher.VerifyDummy(r.Context(), password)
			continue
		}
		ok, needsRehash, err := a.cfg.Hasher.Verify(r.Context(), ag.PasswordHash, password)
		if err != nil {
			return nil, nil, fmt.Errorf("verify password of agent %s: %w", ag.ID, err)
		}
		if ok {
			matched = append(matched, ag)
			rehash[ag.ID] = needsRehash
		}
	}
	return matched, rehash, nil
}
