package api

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
)

// visitorView is a visitor as agents see it: decrypted PII, empty once the
// visitor is erased (deleted true).
type visitorView struct {
	ID         string    `json:"id"`
	WidgetID   string    `json:"widget_id"`
	Name       string    `json:"name"`
	Email      string    `json:"email"`
	Phone      string    `json:"phone"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	Deleted    bool      `json:"deleted"`
}

// viewVisitor shows v; an erased visitor's PII is blanked whatever the
// store returned.
func viewVisitor(v storage.Visitor) visitorView {
	out := visitorView{ID: v.ID, WidgetID: v.WidgetID, Name: v.Name, Email: v.Email, Phone: v.Phone,
		CreatedAt: v.CreatedAt, LastSeenAt: v.LastSeenAt, Deleted: v.Deleted()}
	if out.Deleted {
		out.Name, out.Email, out.Phone = "", "", ""
	}
	return out
}

// handleGetVisitor returns path visitor {id} of the caller's organisation
// (any agent).
func (a *API) handleGetVisitor(w http.ResponseWriter, r *http.Request, c *caller) error {
	v, err := a.pathVisitor(r, c)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, viewVisitor(v))
	return nil
}

// handleFindVisitors finds the organisation's visitor with ?email= exactly
// (any agent), through the blind index. No match is an empty list.
// Without email it lists the organisation's visitors (visitors_list.go).
func (a *API) handleFindVisitors(w http.ResponseWriter, r *http.Request, c *caller) error {
	q, err := parseQuery(r)
	if err != nil {
		return err
	}
	raw, ok := q.one("email")
	if !ok {
		return a.listVisitors(w, r, c, q)
	}
	if _, paged := q.one("cursor"); paged {
		return invalid("cursor lists visitors and cannot be combined with email")
	}
	email, e := normEmail("email", raw)
	if e != nil {
		return e
	}
	out := []visitorView{}
	v, err := a.cfg.Privacy.FindVisitorByEmail(r.Context(), c.OrgID, email)
	switch {
	case errors.Is(err, storage.ErrNotFound):
	case err != nil:
		return fmt.Errorf("find visitor by email: %w", err)
	case v.OrgID == c.OrgID && !v.Deleted():
		out = append(out, viewVisitor(v))
	}
	httpx.WriteJSON(w, http.StatusOK, visitorsResponse{Visitors: out})
	return nil
}

// pathVisitor loads path visitor {id} of the caller's organisation, erased
// or not; not_found for a malformed id, another tenant's or a missing one.
func (a *API) pathVisitor(r *http.Request, c *caller) (storage.Visitor, error) {
	id := r.PathValue("id")
	if !validID(id) {
		return storage.Visitor{}, errNotFound
	}
	v, err := a.cfg.Store.GetVisitor(r.Context(), c.OrgID, id)
	if errors.Is(err, storage.ErrNotFound) {
		return storage.Visitor{}, errNotFound
	}
	if err != nil {
		return storage.Visitor{}, fmt.Errorf("load visitor: %w", err)
	}
	if v.OrgID != c.OrgID {
		return storage.Visitor{}, errNotFound
	}
	return v, nil
}
