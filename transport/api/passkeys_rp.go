package api

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
)

// passkeyChallengeTTL is how long a WebAuthn ceremony (its challenge) is
// valid: the seeds' 5-minute challenge window.
const passkeyChallengeTTL = 5 * time.Minute

// passkeyRP is the hub as a WebAuthn relying party, or why it cannot be
// one (wa nil).
type passkeyRP struct {
	wa  *webauthn.WebAuthn
	why string
}

// newPasskeyRP derives the relying party from the hub's own origins
// (PublicOrigin first, then OriginAliases).
//
// The RP id is the host of PublicOrigin when that is a domain name. A
// browser refuses an IP address as RP id, so a loopback-IP public origin
// (the default http://127.0.0.1:8080) uses "localhost" instead — when
// "localhost" is one of the hub's own origins (the default's loopback
// aliases): passkeys then work on http://localhost:PORT only. Any other
// IP public origin has no relying party and passkeys are unavailable.
// The accepted origins are the hub's own origins whose host is the RP id
// or a subdomain of it (the only ones a browser lets use that RP id).
func newPasskeyRP(own []string) passkeyRP {
	rpID, err := passkeyRPID(own)
	if err != nil {
		return passkeyRP{why: err.Error()}
	}
	cfg := &webauthn.Config{
		RPID:          rpID,
		RPDisplayName: "helpr",
		RPOrigins:     passkeyOrigins(rpID, own),
		// Not enforced by the library (its clock is time.Now): the stored
		// ceremony's expiry, on the API's clock, decides. This is the
		// timeout the browser is told.
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Timeout: passkeyChallengeTTL, TimeoutUVD: passkeyChallengeTTL},
			Registration: webauthn.TimeoutConfig{Timeout: passkeyChallengeTTL, TimeoutUVD: passkeyChallengeTTL},
		},
		AttestationPreference: protocol.PreferNoAttestation,
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			ResidentKey:        protocol.ResidentKeyRequirementRequired,
			RequireResidentKey: protocol.ResidentKeyRequired(),
			UserVerification:   protocol.VerificationPreferred,
		},
	}
	wa, err := webauthn.New(cfg)
	if err != nil {
		return passkeyRP{why: fmt.Sprintf("webauthn relying party: %v", err)}
	}
	return passkeyRP{wa: wa}
}

// passkeyRPID picks the RP id for the hub's origins (see newPasskeyRP).
func passkeyRPID(own []string) (string, error) {
	if len(own) == 0 || own[0] == "" {
		return "", fmt.Errorf("passkeys need the hub's public URL (--public-url)")
	}
	host := originHost(own[0])
	ip := net.ParseIP(host)
	switch {
	case host == "":
		return "", fmt.Errorf("passkeys need a public URL with a host, not %q", own[0])
	case ip == nil:
		return host, nil
	case ip.IsLoopback() && hasHost(own, "localhost"):
		return "localhost", nil
	}
	return "", fmt.Errorf("passkeys need a public URL with a domain name (browsers refuse an IP address as relying-party id); start helpr with --public-url https://your.domain")
}

// passkeyOrigins returns the origins of own whose host is rpID or one of
// its subdomains.
func passkeyOrigins(rpID string, own []string) []string {
	var out []string
	for _, o := range own {
		h := originHost(o)
		if h == rpID || strings.HasSuffix(h, "."+rpID) {
			out = append(out, o)
		}
	}
	return out
}

// originHost returns the lower-cased host (no port, no brackets) of
// origin, "" when it does not parse.
func originHost(origin string) string {
	u, err := url.Parse(origin)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}

func hasHost(own []string, host string) bool {
	for _, o := range own {
		if originHost(o) == host {
			return true
		}
	}
	return false
}
