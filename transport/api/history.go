package api

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
)

// Page sizes: default and maximum.
const (
	convLimitDefault, convLimitMax     = 50, 200
	msgLimitDefault, msgLimitMax       = 100, 500
	searchLimitDefault, searchLimitMax = 20, 100
	maxQueryLen                        = 200
)

type conversationsResponse struct {
	Conversations []conversationView `json:"conversations"`
	NextBefore    *string            `json:"next_before"`
	// NextCursor is the cursor of the next page (null at the end; a full
	// last page is followed by one empty page).
	NextCursor *string `json:"next_cursor"`
}

// handleListConversations lists the organisation's conversations (a
// visitor sees only their own), newest activity first, keyset-paginated.
func (a *API) handleListConversations(w http.ResponseWriter, r *http.Request, c *caller) error {
	q, err := parseQuery(r)
	if err != nil {
		return err
	}
	f, err := conversationFilter(q)
	if err != nil {
		return err
	}
	if !c.isAgent() {
		f.VisitorID = c.SubjectID
	}
	convs, err := a.cfg.Store.ListConversations(r.Context(), c.OrgID, f)
	if err != nil {
		return fmt.Errorf("list conversations: %w", err)
	}
	views, err := a.viewConversations(r, c, convs)
	if err != nil {
		return err
	}
	out := conversationsResponse{Conversations: views}
	if len(convs) == f.Limit {
		next := convs[len(convs)-1].UpdatedAt.UTC().Format(time.RFC3339Nano)
		out.NextBefore = &next
	}
	out.NextCursor = nextCursor(cursorConversation, len(convs), f.Limit, func() (time.Time, string) {
		last := convs[len(convs)-1]
		return last.UpdatedAt, last.ID
	})
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

func conversationFilter(q query) (storage.ConversationFilter, error) {
	var f storage.ConversationFilter
	var err error
	if f.Limit, err = q.limit(convLimitDefault, convLimitMax); err != nil {
		return f, err
	}
	switch s, _ := q.one("status"); s {
	case "":
	case string(storage.ConversationOpen), string(storage.ConversationClosed):
		f.Status = storage.ConversationStatus(s)
	default:
		return f, invalid(`status must be "open" or "closed"`)
	}
	if err := assigneeFilter(q, &f); err != nil {
		return f, err
	}
	if f.Before, err = q.time("before"); err != nil {
		return f, err
	}
	pos, err := q.cursor(cursorConversation)
	if pos != nil {
		f.Cursor = &storage.ConversationCursor{UpdatedAt: pos.At, ID: pos.ID}
	}
	return f, err
}

func assigneeFilter(q query, f *storage.ConversationFilter) error {
	s, ok := q.one("assignee")
	switch {
	case !ok:
	case s == "none":
		f.Unassigned = true
	case validID(s):
		f.AssigneeID = s
	default:
		return invalid(`assignee must be an agent id or "none"`)
	}
	return nil
}

// handleGetConversation returns one conversation of the caller's
// organisation (a visitor: only their own).
func (a *API) handleGetConversation(w http.ResponseWriter, r *http.Request, c *caller) error {
	cv, err := a.conversation(r, c)
	if err != nil {
		return err
	}
	views, err := a.viewConversations(r, c, []storage.Conversation{cv})
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, views[0])
	return nil
}

// viewConversations renders conversations for the caller: a visitor sees
// the agent side's read sequence, an agent its own read marks (one query
// for the page) and unread counts.
func (a *API) viewConversations(r *http.Request, c *caller, convs []storage.Conversation) ([]conversationView, error) {
	out := make([]conversationView, 0, len(convs))
	if !c.isAgent() {
		for _, cv := range convs {
			out = append(out, viewConversation(cv))
		}
		return out, nil
	}
	ids := make([]string, len(convs))
	for i, cv := range convs {
		ids[i] = cv.ID
	}
	marks, err := a.cfg.Store.AgentReadSeqs(r.Context(), c.OrgID, c.SubjectID, ids)
	if err != nil {
		return nil, fmt.Errorf("load read marks: %w", err)
	}
	for _, cv := range convs {
		out = append(out, viewConversationFor(cv, marks[cv.ID]))
	}
	return out, nil
}

// conversation loads path conversation {id} if the caller may read it;
// otherwise not_found, whether it is another tenant's, another visitor's or
// does not exist.
func (a *API) conversation(r *http.Request, c *caller) (storage.Conversation, error) {
	id := r.PathValue("id")
	if !validID(id) {
		return storage.Conversation{}, errNotFound
	}
	cv, err := a.cfg.Store.GetConversation(r.Context(), c.OrgID, id)
	if errors.Is(err, storage.ErrNotFound) {
		return storage.Conversation{}, errNotFound
	}
	if err != nil {
		return storage.Conversation{}, fmt.Errorf("load conversation: %w", err)
	}
	if cv.OrgID != c.OrgID || !c.isAgent() && cv.VisitorID != c.SubjectID {
		return storage.Conversation{}, errNotFound
	}
	return cv, nil
}

type messagesResponse struct {
	Messages     []messageView `json:"messages"`
	NextAfterSeq *int64        `json:"next_after_seq"`
}

// handleListMessages pages a conversation's messages in sequence order.
func (a *API) handleListMessages(w http.ResponseWriter, r *http.Request, c *caller) error {
	q, err := parseQuery(r)
	if err != nil {
		return err
	}
	limit, err := q.limit(msgLimitDefault, msgLimitMax)
	if err != nil {
		return err
	}
	after, err := q.int("after_seq", 0, 1<<62)
	if err != nil {
		return err
	}
	cv, err := a.conversation(r, c)
	if err != nil {
		return err
	}
	msgs, err := a.cfg.Store.ListMessages(r.Context(), c.OrgID, cv.ID, after, limit)
	if err != nil {
		return fmt.Errorf("list messages: %w", err)
	}
	out := messagesResponse{Messages: viewMessages(msgs)}
	if len(msgs) == limit {
		next := msgs[len(msgs)-1].Seq
		out.NextAfterSeq = &next
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

// handleSearch finds the organisation's messages containing every word of q
// (agents only).
func (a *API) handleSearch(w http.ResponseWriter, r *http.Request, c *caller) error {
	q, err := parseQuery(r)
	if err != nil {
		return err
	}
	text, err := q.text("q", maxQueryLen)
	if err != nil {
		return err
	}
	limit, err := q.limit(searchLimitDefault, searchLimitMax)
	if err != nil {
		return err
	}
	msgs, err := a.cfg.Store.SearchMessages(r.Context(), c.OrgID, text, limit)
	if err != nil {
		return fmt.Errorf("search messages: %w", err)
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"messages": viewMessages(msgs)})
	return nil
}
