package api

import (
	"net/http"

	"github.com/helpr-chat/helpr/storage"
)

// noteSignIn runs after every successful sign-in, once the session exists:
// the seam where new-IP detection hooks in. It never fails the sign-in.
func (a *API) noteSignIn(r *http.Request, agent storage.Agent, sess storage.Session) {}
