package webhook

import (
	"encoding/json"
	"strings"
)

// VisitorData is implemented by event data that names the visitor whose
// data it holds (Emit tags the delivery with it for ForgetVisitor).
type VisitorData interface {
	WebhookVisitorID() string
}

// visitorShape is where Emit looks for a visitor id in marshalled data.
type visitorShape struct {
	ID        string `json:"id"`
	VisitorID string `json:"visitor_id"`
	Visitor   struct {
		ID string `json:"id"`
	} `json:"visitor"`
	Conversation struct {
		VisitorID string `json:"visitor_id"`
	} `json:"conversation"`
}

// visitorOf returns the visitor id the delivery of event with data holds.
func visitorOf(event string, data any, raw json.RawMessage) string {
	if v, ok := data.(VisitorData); ok {
		return v.WebhookVisitorID()
	}
	var s visitorShape
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	switch {
	case s.VisitorID != "":
		return s.VisitorID
	case s.Visitor.ID != "":
		return s.Visitor.ID
	case s.Conversation.VisitorID != "":
		return s.Conversation.VisitorID
	case strings.HasPrefix(event, "visitor."):
		return s.ID
	}
	return ""
}
