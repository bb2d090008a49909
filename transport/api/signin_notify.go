package api

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"time"

	uadevice "github.com/helpr-chat/helpr/internal/device"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/mail"
)

// newIPWindow is how long a sign-in address stays known: a sign-in from an
// address not seen for the account in this long alerts its holder again.
const newIPWindow = 90 * 24 * time.Hour

// purposeSignInIP is the KeyedHash purpose of stored sign-in addresses.
const purposeSignInIP = "signin_ip"

// noteSignIn runs after every successful sign-in, once the session exists:
// it records the session's client address for the account (an IPv6
// address by its /64) and, when the address was not seen for the account
// in newIPWindow, mails the holder a new-sign-in alert. The account's very
// first sign-in only records. The address is the resolved client IP
// (socket, or X-Forwarded-For only from --trusted-proxies), stored as a
// keyed hash bound to the agent. It never fails the sign-in: problems are
// logged.
func (a *API) noteSignIn(r *http.Request, agent storage.Agent, sess storage.Session) {
	key, ok := signInIPKey(sess.IP)
	if !ok {
		return
	}
	ctx := context.WithoutCancel(r.Context())
	now := a.nowMs()
	v := storage.SignInIP{OrgID: agent.OrgID, AgentID: agent.ID, At: now,
		IPHash: a.cfg.Store.KeyedHash(purposeSignInIP, agent.ID+"\x00"+key)}
	visit, err := a.cfg.Store.RecordSignInIP(ctx, v, now.Add(-newIPWindow))
	if err != nil {
		a.log.Warn().Err(err).Str("agent_id", agent.ID).Msg("new-ip check failed; no alert")
		return
	}
	if !visit.New || visit.First {
		return
	}
	a.audit(r, storage.AuditEvent{OrgID: agent.OrgID, ActorKind: storage.SubjectAgent, ActorID: agent.ID,
		Action: "auth.new_ip", TargetID: sess.ID, Outcome: storage.AuditSuccess})
	_ = a.sendMail(r, a.newIPMail(agent, sess, now)) // logged by sendMail; the sign-in goes on
}

// signInIPKey is the address as remembered: an IPv4 address itself, an
// IPv6 address as its /64 (one home or office network); false for a
// missing or unparsable address.
func signInIPKey(ip string) (string, bool) {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return "", false
	}
	addr = addr.Unmap().WithZone("")
	if addr.Is4() {
		return addr.String(), true
	}
	p, err := addr.Prefix(64)
	if err != nil {
		return "", false
	}
	return p.String(), true
}

// newIPMail is the alert: when, which device and browser, roughly where,
// and where to review the account's sessions.
func (a *API) newIPMail(agent storage.Agent, sess storage.Session, at time.Time) mail.Message {
	d := uadevice.Parse(sess.UserAgent)
	place := a.locate(sess.IP)
	var b strings.Builder
	fmt.Fprintf(&b, "Hello %s,\n\n", oneLine(agent.Name))
	b.WriteString("Your helpr account was just signed in to from a network it has not used in the last 90 days.\n\n")
	fmt.Fprintf(&b, "  Time:      %s\n", at.UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&b, "  Device:    %s\n", d.Type)
	fmt.Fprintf(&b, "  Browser:   %s\n", browserOn(d))
	fmt.Fprintf(&b, "  Location:  %s (approximate)\n", place.Location)
	fmt.Fprintf(&b, "  IP:        %s\n\n", sess.IP)
	b.WriteString("If this was you, there is nothing to do. If it was not, sign that session out and\n")
	b.WriteString("change your password on your security page:\n\n")
	fmt.Fprintf(&b, "  %s/console/#security\n", a.cfg.PublicOrigin)
	return mail.Message{OrgID: agent.OrgID, To: agent.Email, Kind: mail.KindNewIPAlert,
		Subject: "New sign-in to your helpr account", Text: b.String()}
}

// oneLine keeps a display name on one line in a mail.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

// browserOn is "Browser on OS", leaving out what the user agent did not
// tell.
func browserOn(d uadevice.Info) string {
	switch {
	case d.OS == uadevice.Unknown:
		return d.Browser
	case d.Browser == uadevice.Unknown:
		return "unknown browser on " + d.OS
	}
	return d.Browser + " on " + d.OS
}
