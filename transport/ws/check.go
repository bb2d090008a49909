package ws

import (
	"net/http"

	"github.com/helpr-chat/helpr/transport/httpx"
)

// CheckPath is where Check is served. A browser cannot read why a WebSocket
// upgrade was refused (it only sees close 1006), so the console and the
// widget ask here when a socket closes before it was ready.
const CheckPath = "/rest/v1/ws/check"

// Check answers POST CheckPath (with the optional ?key=pk_… of a widget):
// whether a WebSocket upgrade from this request's Origin, with its
// credentials, would be admitted. 200 {"ok":true} when it would; otherwise
// the upgrade's refusal with a message saying what to change: 403
// forbidden_origin, 401 unauthorized, 503 unavailable (the store did not answer; retry). POST, so that browsers
// send their Origin even from the hub's own pages. It changes nothing.
func (s *Server) Check(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		httpx.WriteError(w, http.StatusMethodNotAllowed, "method_not_allowed", "use POST")
		return
	}
	g, herr := s.admit(r)
	if herr == nil && g.chatToken != "" && g.widget == nil {
		// A chat token needs the widget's key; with one it is checked (and
		// a session started) only by the upgrade itself.
		herr = &httpx.Error{Status: http.StatusUnauthorized, Code: "unauthorized", Message: "a chat token needs the widget's key (?key=pk_…)"}
	}
	if herr != nil {
		if herr.Code == "forbidden_origin" {
			herr.Message = s.refusalMessage(g)
		}
		httpx.WriteError(w, herr.Status, herr.Code, herr.Message)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

// refusalMessage tells the person in front of a refused page what to do.
func (s *Server) refusalMessage(g gate) string {
	if g.widget != nil {
		return "this site (" + g.origin + ") is not an allowed origin of this chat widget; " +
			"add it to the widget's allowed origins in the console"
	}
	return "this page was opened at " + g.origin + ", but the hub accepts its console only at " +
		s.cfg.PublicOrigin + ": open " + s.cfg.PublicOrigin + "/console instead, " +
		"or restart helpr with --public-url " + g.origin
}
