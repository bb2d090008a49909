package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/helpr-chat/helpr/hub"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
)

// ChatActions performs chat actions on behalf of an actor: *hub.Hub
// satisfies it. Every method is scoped to the actor's organisation (a
// conversation of another is storage.ErrNotFound), stores the change
// durably before it returns, and publishes it live to the conversation's
// members and the organisation's inbox. Errors: storage.ErrNotFound,
// storage.ErrConflict, hub.ErrClosed, hub.ErrForbidden, hub.ErrInvalid
// (wrapped). It must be safe for concurrent use.
type ChatActions interface {
	// Send stores and publishes a message; a repeated clientID returns the
	// stored message with duplicate true and publishes nothing.
	Send(ctx context.Context, a hub.Actor, conversationID, clientID, text string) (msg storage.Message, duplicate bool, err error)
	// Close closes the conversation (closing a closed one returns it).
	Close(ctx context.Context, a hub.Actor, conversationID string) (storage.Conversation, error)
	// Transfer assigns the open conversation to agent toAgentID.
	Transfer(ctx context.Context, a hub.Actor, conversationID, toAgentID string) (storage.Conversation, error)
}

var _ ChatActions = (*hub.Hub)(nil)

// codeConversationClosed: a chat action on a closed conversation (409).
const codeConversationClosed = "conversation_closed"

var (
	errChatUnavailable = httpx.NewError(http.StatusServiceUnavailable, codeUnavailable,
		"chat actions are not available on this server")
	errConversationClosed = httpx.NewError(http.StatusConflict, codeConversationClosed,
		"the conversation is closed")
)

// chatRoutes registers the chat actions of REST callers (agents, and API
// keys acting as their owner agent).
func (a *API) chatRoutes(r *router) {
	r.handle("POST", "/conversations/{id}/messages", a.authed(a.agentOnly(a.handleSendMessage)))
	r.handle("POST", "/conversations/{id}/close", a.authed(a.agentOnly(a.handleCloseConversation)))
	r.handle("POST", "/conversations/{id}/transfer", a.authed(a.agentOnly(a.handleTransferConversation)))
}

// actor is the caller as the hub knows it: always the agent itself (a
// key's caller is its owner agent).
func actor(c *caller) hub.Actor {
	return hub.Actor{OrgID: c.OrgID, Kind: storage.SubjectAgent, ID: c.SubjectID}
}

// chatError maps a chat action's error to its public answer.
func chatError(err error) error {
	switch {
	case errors.Is(err, hub.ErrClosed):
		return errConversationClosed
	case errors.Is(err, storage.ErrNotFound):
		return errNotFound
	case errors.Is(err, hub.ErrForbidden):
		return errForbidden
	case errors.Is(err, hub.ErrInvalid):
		return invalid("the request is not a valid chat action")
	case errors.Is(err, storage.ErrConflict):
		return httpx.NewError(http.StatusConflict, httpx.CodeConflict,
			"the conversation changed meanwhile or the client_id belongs to another sender")
	}
	return fmt.Errorf("chat action: %w", err)
}

// pathConversationID returns path {id}, not_found when malformed.
func pathConversationID(r *http.Request) (string, error) {
	id := r.PathValue("id")
	if !validID(id) {
		return "", errNotFound
	}
	return id, nil
}

type sendMessageRequest struct {
	Text     string  `json:"text"`
	ClientID *string `json:"client_id"`
}

type messageResponse struct {
	Message messageView `json:"message"`
}

// handleSendMessage sends a message as the caller agent through the hub:
// 201 with the new message, 200 with the stored one when client_id
// repeats (idempotency), 409 conversation_closed on a closed conversation.
func (a *API) handleSendMessage(w http.ResponseWriter, r *http.Request, c *caller) error {
	var req sendMessageRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	id, err := pathConversationID(r)
	if err != nil {
		return err
	}
	text, clientID, err := validSend(req)
	if err != nil {
		return err
	}
	if a.cfg.Chat == nil {
		return errChatUnavailable
	}
	m, dup, err := a.cfg.Chat.Send(r.Context(), actor(c), id, clientID, text)
	if err != nil {
		return chatError(err)
	}
	status := http.StatusCreated
	if dup {
		status = http.StatusOK
	}
	httpx.WriteJSON(w, status, messageResponse{Message: viewMessages([]storage.Message{m})[0]})
	return nil
}

// validSend checks a message like the hub does (non-blank UTF-8 text of at
// most hub.MaxTextLength characters; client_id 1..hub.MaxClientIDLength
// characters without control characters) and gives a client id to a
// message without one.
func validSend(req sendMessageRequest) (text, clientID string, err error) {
	switch {
	case !utf8.ValidString(req.Text) || strings.TrimSpace(req.Text) == "":
		return "", "", invalid("text is required")
	case utf8.RuneCountInString(req.Text) > hub.MaxTextLength:
		return "", "", invalid(fmt.Sprintf("text must be at most %d characters", hub.MaxTextLength))
	}
	if req.ClientID == nil {
		return req.Text, storage.NewID("api"), nil
	}
	cid := *req.ClientID
	if cid == "" || !utf8.ValidString(cid) || utf8.RuneCountInString(cid) > hub.MaxClientIDLength ||
		strings.IndexFunc(cid, unicode.IsControl) >= 0 {
		return "", "", invalid(fmt.Sprintf("client_id must be 1 to %d characters without control characters",
			hub.MaxClientIDLength))
	}
	return req.Text, cid, nil
}

type conversationResponse struct {
	Conversation conversationView `json:"conversation"`
}

// writeConversation answers with cv as the caller sees it.
func (a *API) writeConversation(w http.ResponseWriter, r *http.Request, c *caller, cv storage.Conversation) error {
	views, err := a.viewConversations(r, c, []storage.Conversation{cv})
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, conversationResponse{Conversation: views[0]})
	return nil
}

// handleCloseConversation closes the conversation as the caller agent
// (closing a closed one answers it as it is). The body is empty or {}.
func (a *API) handleCloseConversation(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := decodeEmpty(w, r); err != nil {
		return err
	}
	id, err := pathConversationID(r)
	if err != nil {
		return err
	}
	if a.cfg.Chat == nil {
		return errChatUnavailable
	}
	cv, err := a.cfg.Chat.Close(r.Context(), actor(c), id)
	if err != nil {
		return chatError(err)
	}
	return a.writeConversation(w, r, c, cv)
}

// decodeEmpty accepts no body at all (Content-Length 0, whatever the
// Content-Type), or a JSON {} (strictly: no fields).
func decodeEmpty(w http.ResponseWriter, r *http.Request) error {
	if r.ContentLength == 0 {
		return nil
	}
	var empty struct{}
	return decode(w, r, &empty)
}

type transferRequest struct {
	AgentID string `json:"agent_id"`
}

// handleTransferConversation assigns the open conversation to agent_id (an
// active agent of the caller's organisation). A conversation that is not
// the caller's organisation's is not_found; so is an unknown, erased or
// deactivated agent, told apart by the message.
func (a *API) handleTransferConversation(w http.ResponseWriter, r *http.Request, c *caller) error {
	var req transferRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if !validID(req.AgentID) {
		return invalid("agent_id must be an agent id")
	}
	if a.cfg.Chat == nil {
		return errChatUnavailable
	}
	if _, err := a.conversation(r, c); err != nil {
		return err
	}
	cv, err := a.cfg.Chat.Transfer(r.Context(), actor(c), r.PathValue("id"), req.AgentID)
	if errors.Is(err, storage.ErrNotFound) {
		return httpx.NewError(http.StatusNotFound, httpx.CodeNotFound, "agent_id names no active agent of this organisation")
	}
	if err != nil {
		return chatError(err)
	}
	return a.writeConversation(w, r, c, cv)
}
