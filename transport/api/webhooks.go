package api

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
	"github.com/helpr-chat/helpr/transport/webhook"
)

// webhookRoutes registers the /webhooks routes: owners and admins (agent
// sessions, or secret keys with webhooks:write acting as such an owner).
func (a *API) webhookRoutes(r *router) {
	m := func(h authedFunc) handlerFunc { return a.authed(a.manager(h)) }
	r.handle("POST", "/webhooks", m(a.handleCreateWebhook))
	r.handle("GET", "/webhooks", m(a.handleListWebhooks))
	r.handle("GET", "/webhooks/{id}", m(a.handleGetWebhook))
	r.handle("PATCH", "/webhooks/{id}", m(a.handleUpdateWebhook))
	r.handle("DELETE", "/webhooks/{id}", m(a.handleDeleteWebhook))
	r.handle("POST", "/webhooks/{id}/rotate-secret", m(a.handleRotateWebhookSecret))
	r.handle("GET", "/webhooks/{id}/deliveries", m(a.handleListDeliveries))
	r.handle("POST", "/webhooks/{id}/test", m(a.handleTestWebhook))
	r.handle("POST", "/webhooks/deliveries/{id}/redeliver", m(a.handleRedeliver))
}

var errWebhooksUnavailable = httpx.NewError(http.StatusServiceUnavailable, codeUnavailable,
	"webhooks are not available on this server")

// hooks returns the webhook store and dispatcher, or 503 without them.
func (a *API) hooks() (webhookStore, Webhooks, error) {
	if a.cfg.Webhooks == nil {
		return nil, nil, errWebhooksUnavailable
	}
	return a.cfg.Store, a.cfg.Webhooks, nil
}

type createWebhookRequest struct {
	URL         string   `json:"url"`
	Events      []string `json:"events"`
	Description string   `json:"description"`
}

// handleCreateWebhook stores a new enabled endpoint with a new secret and
// answers 201 with the secret, shown this once.
func (a *API) handleCreateWebhook(w http.ResponseWriter, r *http.Request, c *caller) error {
	s, d, err := a.hooks()
	if err != nil {
		return err
	}
	var req createWebhookRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	desc, e := optionalText("description", req.Description, maxWebhookDescription)
	if e != nil {
		return e
	}
	if err := checkWebhookEvents(req.Events); err != nil {
		return err
	}
	if err := a.checkWebhookURL(req.URL); err != nil {
		return err
	}
	if err := a.requireWebhookRoom(r, s, c.OrgID); err != nil {
		return err
	}
	now := a.nowMs()
	ep := storage.WebhookEndpoint{ID: storage.NewID("whk"), OrgID: c.OrgID, URL: req.URL, Description: desc,
		Events: req.Events, Secret: webhook.NewSecret(), Enabled: true, CreatedBy: c.SubjectID,
		CreatedAt: now, UpdatedAt: now}
	if err := s.CreateWebhookEndpoint(r.Context(), ep); err != nil {
		return fmt.Errorf("create webhook endpoint: %w", err)
	}
	d.Invalidate(c.OrgID)
	a.auditWebhook(r, c, "webhook.created", ep)
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusCreated, webhookCreatedView{webhookView: a.viewWebhook(ep), Secret: ep.Secret})
	return nil
}

// requireWebhookRoom refuses a new endpoint beyond maxWebhookEndpoints.
func (a *API) requireWebhookRoom(r *http.Request, s webhookStore, orgID string) error {
	eps, err := s.ListWebhookEndpoints(r.Context(), orgID)
	if err != nil {
		return fmt.Errorf("list webhook endpoints: %w", err)
	}
	if len(eps) >= maxWebhookEndpoints {
		return httpx.NewError(http.StatusConflict, httpx.CodeConflict,
			"an organisation has at most "+strconv.Itoa(maxWebhookEndpoints)+" webhook endpoints")
	}
	return nil
}

// auditWebhook audits action on endpoint e: the detail names the URL's
// host and the event count, never the URL (its path or query may hold
// the receiver's token) nor a secret.
func (a *API) auditWebhook(r *http.Request, c *caller, action string, e storage.WebhookEndpoint) {
	host := ""
	if u, err := url.Parse(e.URL); err == nil {
		host = u.Hostname()
	}
	a.audit(r, storage.AuditEvent{OrgID: c.OrgID, ActorKind: storage.SubjectAgent, ActorID: c.SubjectID,
		Action: action, TargetID: e.ID, Outcome: storage.AuditSuccess,
		Detail: fmt.Sprintf("host=%s,events=%d", truncate(host, 253), len(e.Events))})
}

type webhooksResponse struct {
	Webhooks []webhookView `json:"webhooks"`
}

func (a *API) handleListWebhooks(w http.ResponseWriter, r *http.Request, c *caller) error {
	s, _, err := a.hooks()
	if err != nil {
		return err
	}
	eps, err := s.ListWebhookEndpoints(r.Context(), c.OrgID)
	if err != nil {
		return fmt.Errorf("list webhook endpoints: %w", err)
	}
	out := webhooksResponse{Webhooks: make([]webhookView, 0, len(eps))}
	for _, e := range eps {
		out.Webhooks = append(out.Webhooks, a.viewWebhook(e))
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

// pathWebhook loads path endpoint {id} of the caller's organisation;
// another organisation's endpoint is not found, like a missing one.
func (a *API) pathWebhook(r *http.Request, s webhookStore, c *caller) (storage.WebhookEndpoint, error) {
	id := r.PathValue("id")
	if !validID(id) {
		return storage.WebhookEndpoint{}, errNotFound
	}
	e, err := s.GetWebhookEndpoint(r.Context(), c.OrgID, id)
	if errors.Is(err, storage.ErrNotFound) || err == nil && e.OrgID != c.OrgID {
		return storage.WebhookEndpoint{}, errNotFound
	}
	if err != nil {
		return storage.WebhookEndpoint{}, fmt.Errorf("get webhook endpoint: %w", err)
	}
	return e, nil
}

func (a *API) handleGetWebhook(w http.ResponseWriter, r *http.Request, c *caller) error {
	s, _, err := a.hooks()
	if err != nil {
		return err
	}
	e, err := a.pathWebhook(r, s, c)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, a.viewWebhook(e))
	return nil
}

// handleDeleteWebhook removes the endpoint and its delivery log: 204.
func (a *API) handleDeleteWebhook(w http.ResponseWriter, r *http.Request, c *caller) error {
	s, d, err := a.hooks()
	if err != nil {
		return err
	}
	e, err := a.pathWebhook(r, s, c)
	if err != nil {
		return err
	}
	err = s.DeleteWebhookEndpoint(r.Context(), c.OrgID, e.ID)
	if errors.Is(err, storage.ErrNotFound) {
		return errNotFound
	}
	if err != nil {
		return fmt.Errorf("delete webhook endpoint: %w", err)
	}
	d.Invalidate(c.OrgID)
	a.auditWebhook(r, c, "webhook.deleted", e)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
