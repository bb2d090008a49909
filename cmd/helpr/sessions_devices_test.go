package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/helpr-chat/helpr/client"
	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/security/geoip/geoiptest"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/wire"
)

type sessionList struct {
	Sessions []struct {
		ID       string `json:"id"`
		Current  bool   `json:"current"`
		Device   string `json:"device"`
		Browser  string `json:"browser"`
		IP       string `json:"ip"`
		Location string `json:"location"`
		ISP      string `json:"isp"`
	} `json:"sessions"`
}

// withGeoIP points the node at small databases that place loopback
// clients in "Loopback City, Testland" on "Loopback Networks".
func withGeoIP(t *testing.T) func(*Config) {
	city := geoiptest.WriteCity(t, map[string]geoiptest.City{"127.0.0.0/8": {City: "Loopback City", Country: "Testland"}})
	asn := geoiptest.WriteASN(t, map[string]string{"127.0.0.0/8": "Loopback Networks"})
	return func(c *Config) { c.GeoIPCityDB, c.GeoIPASNDB = city, asn }
}

// Revoking one of one's sessions from another (DELETE /me/sessions/{id})
// closes that session's open socket with "session revoked"; the list shows
// device, browser, location and ISP from the --geoip-* databases.
func TestRevokedSessionSocketCloses(t *testing.T) {
	ctx := testCtx(t)
	n := startNode(t, t.TempDir(), "127.0.0.1:0", withGeoIP(t))
	tn := n.registerTenant("Acme", "owner@acme.test", "https://shop.acme.test")
	laptop := tn.owner
	var phone tokens
	ua := "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"
	if code := n.call("POST", "/rest/v1/auth/login", "", map[string]any{"email": "owner@acme.test",
		"password": "correct horse battery"}, &phone, "User-Agent", ua); code != http.StatusOK {
		t.Fatalf("second login: %d", code)
	}
	sock := n.dial(ctx, client.Options{Token: phone.AccessToken})

	var list sessionList
	if code := n.call("GET", "/rest/v1/me/sessions", laptop.AccessToken, nil, &list); code != http.StatusOK || len(list.Sessions) != 2 {
		t.Fatalf("list: %d %+v", code, list)
	}
	other := list.Sessions[0]
	if other.Current || other.Device != "mobile" || other.Browser != "Safari 17" || other.IP != "127.0.0.1" ||
		other.Location != "Loopback City, Testland" || other.ISP != "Loopback Networks" {
		t.Fatalf("phone session %+v", other)
	}
	if code := n.call("DELETE", "/rest/v1/me/sessions/"+other.ID, laptop.AccessToken, nil, nil); code != http.StatusNoContent {
		t.Fatalf("revoke: %d", code)
	}
	_ = sock.Send(ctx, wire.TypePing, "after-revoke", nil)
	if _, err := sock.Next(ctx); client.CloseStatus(err) != int(wire.CloseSessionRevoked) {
		t.Fatalf("revoked session's socket: %v, want close %d", err, wire.CloseSessionRevoked)
	}
	if code := n.call("GET", "/rest/v1/me", phone.AccessToken, nil, nil); code != http.StatusUnauthorized {
		t.Fatalf("revoked token: %d", code)
	}
	if code := n.call("GET", "/rest/v1/me", laptop.AccessToken, nil, nil); code != http.StatusOK {
		t.Fatalf("the revoking session: %d", code)
	}
}

// Deactivating an agent closes its socket, returns its open conversation
// to the queue (announced to the team's inbox) and refuses its sign-in.
func TestDeactivationClosesSocketAndRequeues(t *testing.T) {
	ctx := testCtx(t)
	n := startNode(t, t.TempDir(), "127.0.0.1:0")
	tn := n.registerTenant("Acme", "owner@acme.test", "https://shop.acme.test")
	memberID := seedAgent(t, n, tn.orgID, "member@acme.test")
	member := n.login("member@acme.test", "correct horse battery")
	memberSock := n.dial(ctx, client.Options{Token: member.AccessToken})

	vis := n.dial(ctx, client.Options{Token: n.visitor(tn, "Vera"), AuthFrame: true, WidgetKey: tn.widgetKey, Origin: tn.origin})
	if err := vis.Send(ctx, wire.TypeConversationStart, "start", nil); err != nil {
		t.Fatal(err)
	}
	f, err := vis.Await(ctx, client.Reply("start"))
	var conv wire.Conversation
	if err != nil || f.Decode(&conv) != nil || conv.AssigneeID != memberID {
		t.Fatalf("start: %v %s; want assigned to the only online agent %s", err, f.Data, memberID)
	}
	ownerSock := n.dial(ctx, client.Options{Token: tn.owner.AccessToken})

	var ag struct {
		DeactivatedAt *string `json:"deactivated_at"`
	}
	if code := n.call("POST", "/rest/v1/agents/"+memberID+"/deactivate", tn.owner.AccessToken, nil, &ag); code != http.StatusOK || ag.DeactivatedAt == nil {
		t.Fatalf("deactivate: %d %+v", code, ag)
	}
	_ = memberSock.Send(ctx, wire.TypePing, "after", nil)
	if code := closeCode(ctx, memberSock); code != int(wire.CloseSessionRevoked) {
		t.Fatalf("deactivated agent's socket closed with %d, want %d", code, wire.CloseSessionRevoked)
	}
	ev, err := ownerSock.Await(ctx, client.OfType(wire.TypeConversation))
	var moved wire.Conversation
	if err != nil || ev.Decode(&moved) != nil || moved.ID != conv.ID || moved.AssigneeID != "" {
		t.Fatalf("owner inbox: %v %s; want %s back in the queue", err, ev.Data, conv.ID)
	}
	if code := n.call("POST", "/rest/v1/auth/login", "", map[string]any{"email": "member@acme.test",
		"password": "correct horse battery"}, nil); code != http.StatusUnauthorized {
		t.Fatalf("deactivated agent's sign-in: %d", code)
	}
}

// closeCode reads (and drops) frames until the socket closes, and returns
// the close status.
func closeCode(ctx context.Context, c *client.Conn) int {
	for {
		if _, err := c.Next(ctx); err != nil {
			return client.CloseStatus(err)
		}
	}
}

// seedAgent stores an agent of orgID with the harness password.
func seedAgent(t *testing.T, n *node, orgID, email string) string {
	t.Helper()
	h, err := security.NewHasher(security.HasherConfig{})
	if err != nil {
		t.Fatal(err)
	}
	hash, err := h.Hash(context.Background(), "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	a := storage.Agent{ID: storage.NewID("agt"), OrgID: orgID, Name: "Member", Email: email,
		Role: storage.RoleAgent, PasswordHash: hash, CreatedAt: time.Now().UTC().Truncate(time.Millisecond)}
	if err := n.app.sealed.CreateAgent(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	return a.ID
}

// A --geoip-city-db or --geoip-asn-db that is not a database of that kind
// stops the start with a message naming the flag and the file.
func TestBadGeoIPDatabaseStopsStart(t *testing.T) {
	junk := filepath.Join(t.TempDir(), "junk.mmdb")
	if err := os.WriteFile(junk, []byte("not a database"), 0o600); err != nil {
		t.Fatal(err)
	}
	asn := geoiptest.WriteASN(t, map[string]string{"127.0.0.0/8": "Loopback Networks"})
	for _, tweak := range []func(*Config){
		func(c *Config) { c.GeoIPCityDB = junk },
		func(c *Config) { c.GeoIPCityDB = asn }, // the wrong kind
		func(c *Config) { c.GeoIPASNDB = filepath.Join(t.TempDir(), "missing.mmdb") },
	} {
		cfg := Config{Addr: "127.0.0.1:0", DataDir: t.TempDir()}
		tweak(&cfg)
		cfg.defaults()
		a, err := newApp(context.Background(), cfg, zerolog.Nop())
		if err == nil {
			_ = a.close()
			t.Fatalf("started with GeoIP %q / %q", cfg.GeoIPCityDB, cfg.GeoIPASNDB)
		}
		path := cfg.GeoIPCityDB + cfg.GeoIPASNDB
		if !strings.Contains(err.Error(), "--geoip-") || !strings.Contains(err.Error(), path) {
			t.Errorf("error %q names neither the flag nor %s", err, path)
		}
	}
}

// The GeoIP databases come from flags or HELPR_GEOIP_CITY_DB /
// HELPR_GEOIP_ASN_DB; a flag wins.
func TestGeoIPFlagsAndEnv(t *testing.T) {
	env := map[string]string{"HELPR_GEOIP_CITY_DB": "/env/city.mmdb", "HELPR_GEOIP_ASN_DB": "/env/asn.mmdb"}
	c, err := parseServeFlags([]string{"--geoip-asn-db", "/flag/asn.mmdb"}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.GeoIPCityDB != "/env/city.mmdb" || c.GeoIPASNDB != "/flag/asn.mmdb" {
		t.Fatalf("city %q asn %q", c.GeoIPCityDB, c.GeoIPASNDB)
	}
}
