package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
)

// Visitor page sizes: default and maximum.
const visitorLimitDefault, visitorLimitMax = 50, 200

// visitorsResponse is GET /visitors: a page of visitors and the cursor of
// the next page (null at the end, and always for an email lookup).
type visitorsResponse struct {
	Visitors   []visitorView `json:"visitors"`
	NextCursor *string       `json:"next_cursor"`
}

// listVisitors answers GET /visitors without email: the organisation's
// visitors newest first (created_at desc, id desc), erased ones included
// and shown as erased (deleted true, no PII), cursor-paginated.
func (a *API) listVisitors(w http.ResponseWriter, r *http.Request, c *caller, q query) error {
	limit, err := q.limit(visitorLimitDefault, visitorLimitMax)
	if err != nil {
		return err
	}
	pos, err := q.cursor(cursorVisitor)
	if err != nil {
		return err
	}
	var cur *storage.VisitorCursor
	if pos != nil {
		cur = &storage.VisitorCursor{CreatedAt: pos.At, ID: pos.ID}
	}
	list, err := a.cfg.Store.ListVisitors(r.Context(), c.OrgID, cur, limit)
	if err != nil {
		return fmt.Errorf("list visitors: %w", err)
	}
	out := visitorsResponse{Visitors: make([]visitorView, 0, len(list))}
	for _, v := range list {
		if v.OrgID == c.OrgID {
			out.Visitors = append(out.Visitors, viewVisitor(v))
		}
	}
	out.NextCursor = nextCursor(cursorVisitor, len(list), limit, func() (time.Time, string) {
		last := list[len(list)-1]
		return last.CreatedAt, last.ID
	})
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}
