package api

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
)

// customerUserView is a customer user as the console sees it.
type customerUserView struct {
	ID           string     `json:"id"`
	ExternalID   string     `json:"external_id"`
	Name         string     `json:"name"`
	Email        string     `json:"email"`
	VisitorID    *string    `json:"visitor_id"` // null until the first token is used
	TokenVersion int64      `json:"token_version"`
	CreatedAt    time.Time  `json:"created_at"`
	LastSeenAt   *time.Time `json:"last_seen_at"`
}

func viewCustomerUser(u storage.CustomerUser) customerUserView {
	v := customerUserView{ID: u.ID, ExternalID: u.ExternalID, Name: u.Name, Email: u.Email,
		TokenVersion: u.TokenVersion, CreatedAt: u.CreatedAt.UTC()}
	if u.VisitorID != "" {
		v.VisitorID = &u.VisitorID
	}
	if !u.LastSeenAt.IsZero() {
		t := u.LastSeenAt.UTC()
		v.LastSeenAt = &t
	}
	return v
}

type customerUserList struct {
	CustomerUsers []customerUserView `json:"customer_users"`
	NextCursor    *string            `json:"next_cursor"`
}

// handleListCustomerUsers lists the organisation's customer users, newest
// first: ?limit (1..200, default 50) and ?cursor (the next_cursor of the
// previous page; null at the end).
func (a *API) handleListCustomerUsers(w http.ResponseWriter, r *http.Request, c *caller) error {
	q, err := parseQuery(r)
	if err != nil {
		return err
	}
	limit, err := q.limit(50, storage.MaxCustomerUserList)
	if err != nil {
		return err
	}
	var cursor *storage.CustomerUserCursor
	if raw, ok := q.one("cursor"); ok {
		if cursor, err = parseCustomerUserCursor(raw); err != nil {
			return err
		}
	}
	list, err := a.cfg.Store.ListCustomerUsers(r.Context(), c.OrgID, cursor, limit+1)
	if err != nil {
		return err
	}
	out := customerUserList{CustomerUsers: []customerUserView{}}
	if len(list) > limit {
		list = list[:limit]
		next := customerUserCursor(list[limit-1])
		out.NextCursor = &next
	}
	for _, u := range list {
		out.CustomerUsers = append(out.CustomerUsers, viewCustomerUser(u))
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

// handleGetCustomerUser returns one customer user of the organisation
// (404 for another organisation's or an erased one).
func (a *API) handleGetCustomerUser(w http.ResponseWriter, r *http.Request, c *caller) error {
	id := r.PathValue("id")
	if !validID(id) {
		return errNotFound
	}
	u, err := a.cfg.Store.GetCustomerUser(r.Context(), c.OrgID, id)
	if errors.Is(err, storage.ErrNotFound) || err == nil && u.Deleted() {
		return errNotFound
	}
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, viewCustomerUser(u))
	return nil
}

// customerUserCursor encodes the position after u: base64url of
// "<created_at unix ms>:<id>" (opaque to clients).
func customerUserCursor(u storage.CustomerUser) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(u.CreatedAt.UnixMilli(), 10) + ":" + u.ID))
}

func parseCustomerUserCursor(s string) (*storage.CustomerUserCursor, error) {
	bad := invalid("cursor is not a next_cursor of this list")
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(s) > 128 {
		return nil, bad
	}
	msText, id, ok := strings.Cut(string(b), ":")
	ms, err := strconv.ParseInt(msText, 10, 64)
	if !ok || err != nil || !validID(id) {
		return nil, bad
	}
	return &storage.CustomerUserCursor{CreatedAt: time.UnixMilli(ms).UTC(), ID: id}, nil
}

// exportCustomerUser is the visitor's customer user for its data export,
// nil when the visitor is anonymous.
func (a *API) exportCustomerUser(ctx context.Context, v storage.Visitor) (*customerUserView, error) {
	u, err := a.cfg.Store.GetCustomerUserByVisitor(ctx, v.OrgID, v.ID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("customer user of visitor: %w", err)
	}
	view := viewCustomerUser(u)
	return &view, nil
}
