package api

import (
	"encoding/json"
	"net/http"

	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/transport/httpx"
)

// POST /auth/dev-token exists only on a server started with --dev
// (Config.Dev): it mints a chat token for a widget's organisation without
// any secret, for trying the widget's identified mode locally. Its tokens
// carry key "dev" (security.DevKeyID), which a server without --dev
// refuses (check "agent"), and every answer says it is a dev token.

// devWarning is the warning of every dev-token answer.
const devWarning = "development token minted without a secret key (helpr serve --dev): never use it in production; " +
	"production backends call POST /rest/v1/auth/token with a secret key"

type devTokenRequest struct {
	PublishableKey string        `json:"publishable_key"`
	User           chatUserInput `json:"user"`
	ExpiresIn      string        `json:"expiresIn"`
}

// devRecorder captures the JSON the dev handler writes so devResponse can
// add the dev markers to it.
type devRecorder struct {
	header http.Header
	status int
	body   []byte
}

func (d *devRecorder) Header() http.Header { return d.header }

func (d *devRecorder) Write(b []byte) (int, error) {
	if d.status == 0 {
		d.status = http.StatusOK
	}
	d.body = append(d.body, b...)
	return len(b), nil
}

func (d *devRecorder) WriteHeader(code int) {
	if d.status == 0 {
		d.status = code
	}
}

// devResponse runs h and sends its answer, success or error, with the
// header X-Helpr-Dev-Token and the fields "dev": true and "warning".
func (a *API) devResponse(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		rec := &devRecorder{header: http.Header{}}
		if err := h(rec, r); err != nil {
			rec = &devRecorder{header: http.Header{}}
			a.writeFail(rec, r, err)
		}
		body := map[string]any{}
		if len(rec.body) > 0 && json.Unmarshal(rec.body, &body) != nil {
			body = map[string]any{}
		}
		body["dev"], body["warning"] = true, devWarning
		for k, v := range rec.header {
			w.Header()[k] = v
		}
		w.Header().Set("X-Helpr-Dev-Token", "not for production")
		httpx.WriteJSON(w, rec.status, body)
		return nil
	}
}

// handleDevToken mints a token for user of the publishable key's
// organisation.
func (a *API) handleDevToken(w http.ResponseWriter, r *http.Request) error {
	var req devTokenRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if a.cfg.ChatTokens == nil {
		return errNoChatTokens
	}
	key, e := publishableKey(r, req.PublishableKey)
	if e != nil {
		return e
	}
	user, ttl, err := chatTokenInput(req.User, req.ExpiresIn)
	if err != nil {
		return err
	}
	wg, err := a.widgetByKey(r, key)
	if err != nil {
		return err
	}
	a.log.Warn().Str("widget", wg.ID).Msg("dev chat token minted without a secret key (--dev)")
	return a.issueChatToken(w, r, wg.OrgID, security.DevKeyID, user, ttl)
}
