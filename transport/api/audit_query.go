package api

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
)

// GET /audit page sizes.
const (
	defaultAuditPage = 50
	maxAuditPage     = 200
	maxActionLen     = 64
)

// auditEventView is an audit event as owners and admins read it.
type auditEventView struct {
	ID        string              `json:"id"`
	Seq       int64               `json:"seq"`
	Action    string              `json:"action"`
	Outcome   string              `json:"outcome"`
	ActorKind storage.SubjectKind `json:"actor_kind"`
	ActorID   string              `json:"actor_id"`
	ActorName string              `json:"actor_name,omitempty"`
	TargetID  string              `json:"target_id"`
	IP        string              `json:"ip"`
	Device    string              `json:"device"`
	UserAgent string              `json:"user_agent"`
	Detail    string              `json:"detail"`
	CreatedAt time.Time           `json:"created_at"`
}

// auditPage is the answer of GET /audit: next_cursor is null on the last
// page.
type auditPage struct {
	Events     []auditEventView `json:"events"`
	NextCursor *string          `json:"next_cursor"`
}

// handleListAudit answers GET /audit?action=&actor=&since=&cursor=&limit=
// (owner/admin): the caller's organisation's events matching the filters,
// newest first, limit (1..200, default 50) per page. cursor is the
// next_cursor of the previous page.
func (a *API) handleListAudit(w http.ResponseWriter, r *http.Request, c *caller) error {
	q, err := parseAuditQuery(r)
	if err != nil {
		return err
	}
	limit := q.Limit
	q.Limit++ // one more tells whether there is a next page
	list, err := a.cfg.Store.QueryAudit(r.Context(), c.OrgID, q)
	if err != nil {
		return fmt.Errorf("query audit: %w", err)
	}
	out := auditPage{Events: make([]auditEventView, 0, min(len(list), limit))}
	if len(list) > limit {
		list = list[:limit]
		cursor := strconv.FormatInt(list[limit-1].Seq, 10)
		out.NextCursor = &cursor
	}
	names := a.actorNames(r.Context(), c.OrgID, list)
	for _, e := range list {
		out.Events = append(out.Events, viewAuditEvent(e, names[e.ActorID]))
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

// parseAuditQuery validates the filters of GET /audit.
func parseAuditQuery(r *http.Request) (storage.AuditQuery, error) {
	var out storage.AuditQuery
	q, err := parseQuery(r)
	if err != nil {
		return out, err
	}
	if out.Action, err = auditAction(q); err != nil {
		return out, err
	}
	if actor, ok := q.one("actor"); ok {
		if !validID(actor) {
			return out, invalid("actor must be an id")
		}
		out.ActorID = actor
	}
	if out.Since, err = q.time("since"); err != nil {
		return out, err
	}
	if _, ok := q.one("cursor"); ok {
		if out.BeforeSeq, err = q.int("cursor", 1, math.MaxInt64); err != nil {
			return out, invalid("cursor must be a next_cursor this endpoint returned")
		}
	}
	out.Limit, err = q.limit(defaultAuditPage, maxAuditPage)
	return out, err
}

// auditAction reads the optional action filter: 1..64 of a-z, 0-9, "_"
// and ".".
func auditAction(q query) (string, error) {
	s, ok := q.one("action")
	if !ok {
		return "", nil
	}
	valid := len(s) <= maxActionLen && strings.Trim(s, "abcdefghijklmnopqrstuvwxyz0123456789_.") == ""
	if !valid {
		return "", invalid("action must be an audit action such as auth.login")
	}
	return s, nil
}

// actorNames returns the names of the agents among the events' actors
// (the caller's organisation only; erased agents have none).
func (a *API) actorNames(ctx context.Context, orgID string, list []storage.AuditEvent) map[string]string {
	names := map[string]string{}
	seen := map[string]bool{}
	for _, e := range list {
		if e.ActorKind != storage.SubjectAgent || e.ActorID == "" || seen[e.ActorID] {
			continue
		}
		seen[e.ActorID] = true
		ag, err := a.cfg.Store.GetAgent(ctx, orgID, e.ActorID)
		if err == nil && !ag.Deleted() {
			names[e.ActorID] = ag.Name
		}
	}
	return names
}

func viewAuditEvent(e storage.AuditEvent, actorName string) auditEventView {
	outcome := e.Outcome
	if outcome == "" {
		outcome = storage.AuditSuccess
	}
	return auditEventView{ID: e.ID, Seq: e.Seq, Action: e.Action, Outcome: outcome, ActorKind: e.ActorKind,
		ActorID: e.ActorID, ActorName: actorName, TargetID: e.TargetID, IP: e.IP, Device: auditDevice(e.UserAgent),
		UserAgent: e.UserAgent, Detail: e.Detail, CreatedAt: e.CreatedAt}
}

// uaMarks map a user-agent substring to a name, first match wins (order
// matters: Edge and Opera also say Chrome, Chrome also says Safari).
type uaMark struct{ mark, name string }

var (
	uaBrowsers = []uaMark{{"Edg/", "Edge"}, {"OPR/", "Opera"}, {"Firefox/", "Firefox"}, {"Chrome/", "Chrome"},
		{"Safari/", "Safari"}, {"curl/", "curl"}}
	uaSystems = []uaMark{{"iPhone", "iOS"}, {"iPad", "iOS"}, {"Android", "Android"}, {"Windows", "Windows"},
		{"Mac OS X", "macOS"}, {"CrOS", "ChromeOS"}, {"Linux", "Linux"}}
)

// auditDevice is a short "Browser on OS" description of a user agent
// ("" when there is none, "unknown" when nothing is recognised).
func auditDevice(ua string) string {
	if ua == "" {
		return ""
	}
	browser, system := uaFind(ua, uaBrowsers), uaFind(ua, uaSystems)
	switch {
	case browser != "" && system != "":
		return browser + " on " + system
	case browser != "" || system != "":
		return browser + system
	}
	return "unknown"
}

func uaFind(ua string, marks []uaMark) string {
	for _, m := range marks {
		if strings.Contains(ua, m.mark) {
			return m.name
		}
	}
	return ""
}
