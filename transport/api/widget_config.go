package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
)

// Presence tells whether an organisation has an agent available. It is
// called on every widget config request, concurrently: it must be safe for
// concurrent use and answer quickly (a cached or bounded look-up). When it
// cannot tell, it should answer true, so visitors are offered the chat.
type Presence interface {
	// AgentsOnline reports whether any agent of orgID is online.
	AgentsOnline(orgID string) bool
}

type widgetConfigView struct {
	Prechat        prechatView `json:"prechat"`
	OfflineMessage string      `json:"offline_message"`
	AgentsOnline   bool        `json:"agents_online"`
}

// handleWidgetConfig answers the widget frame's public settings for a
// publishable key: effective pre-chat modes, the offline message (the
// default when the widget has none) and whether an agent is online. No
// authentication: the key is public and so is what it answers.
func (a *API) handleWidgetConfig(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()["key"]
	if len(q) != 1 {
		return invalid(`key is required once and starts with "pk_"`)
	}
	key, e := publishableKey(r, q[0])
	if e != nil {
		return invalid(`key is required and starts with "pk_"`)
	}
	wg, err := a.openWidgetByKey(r.Context(), key)
	if errors.Is(err, storage.ErrNotFound) {
		return httpx.NewError(http.StatusNotFound, httpx.CodeNotFound, "unknown publishable key")
	}
	if err != nil {
		return fmt.Errorf("widget config: %w", err)
	}
	offline := wg.OfflineMessage
	if offline == "" {
		offline = DefaultOfflineMessage
	}
	online := a.cfg.Presence == nil || a.cfg.Presence.AgentsOnline(wg.OrgID)
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusOK, widgetConfigView{Prechat: viewPrechat(wg.Prechat),
		OfflineMessage: offline, AgentsOnline: online})
	return nil
}
