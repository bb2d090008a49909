package api

import (
	"time"

	uadevice "github.com/helpr-chat/helpr/internal/device"
	"github.com/helpr-chat/helpr/security/geoip"
	"github.com/helpr-chat/helpr/storage"
)

// Locator tells the approximate location and ISP of a client address
// (a *geoip.Reader): "unknown" for what it does not know. It must be safe
// for concurrent use and fast (an in-memory lookup).
type Locator interface {
	Locate(ip string) geoip.Place
}

var _ Locator = (*geoip.Reader)(nil)

// deviceSessionView is one session as GET /me/sessions and GET
// /agents/{id}/sessions show it. Device, browser and OS are parsed from the
// stored user agent, location and ISP looked up from the stored IP at read
// time (a newer database improves old sessions too).
type deviceSessionView struct {
	ID           string    `json:"id"`
	Current      bool      `json:"current"`
	Device       string    `json:"device"`
	Browser      string    `json:"browser"`
	OS           string    `json:"os"`
	IP           string    `json:"ip"`
	Location     string    `json:"location"`
	ISP          string    `json:"isp"`
	CreatedAt    time.Time `json:"created_at"`
	LastActiveAt time.Time `json:"last_active_at"`
}

type sessionsResponse struct {
	Sessions []deviceSessionView `json:"sessions"`
}

type revokedResponse struct {
	Revoked int `json:"revoked"`
}

// locate looks ip up with the configured Locator, unknown without one.
func (a *API) locate(ip string) geoip.Place {
	if a.cfg.Locator == nil {
		return geoip.Place{Location: geoip.Unknown, ISP: geoip.Unknown}
	}
	return a.cfg.Locator.Locate(ip)
}

// viewSession describes s; current is the caller's own session id.
func (a *API) viewSession(s storage.Session, current string) deviceSessionView {
	d := uadevice.Parse(s.UserAgent)
	place := a.locate(s.IP)
	last := s.LastSeenAt
	if last.Before(s.CreatedAt) {
		last = s.CreatedAt
	}
	return deviceSessionView{ID: s.ID, Current: s.ID == current, Device: d.Type, Browser: d.Browser, OS: d.OS,
		IP: s.IP, Location: place.Location, ISP: place.ISP, CreatedAt: s.CreatedAt, LastActiveAt: last}
}
