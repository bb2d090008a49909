package api

import (
	"net/http/httptest"
	"testing"

	"github.com/helpr-chat/helpr/storage"
)

// BenchmarkAuthenticatedGet measures an authenticated read end to end in
// the handler (token from the session cache, agent load, JSON out).
func BenchmarkAuthenticatedGet(b *testing.B) {
	e := newEnv(b)
	owner, tok := e.seedOrg("Acme")
	w := e.seedWidget(owner.OrgID)
	v, _ := e.seedVisitor(w)
	c := e.seedConversation(v, "", 5)
	a, err := New(Config{Store: e.store, Sessions: e.sessions, Hasher: testHasher(b), Now: e.clock.Now})
	if err != nil {
		b.Fatal(err)
	}
	h := a.Handler()
	for _, path := range []string{"/rest/v1/me", "/rest/v1/conversations/" + c.ID + "/messages"} {
		name := "me"
		if path != "/rest/v1/me" {
			name = "messages"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r := httptest.NewRequest("GET", path, nil)
				r.Header.Set("Authorization", "Bearer "+tok)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, r)
				if rec.Code != 200 {
					b.Fatalf("status %d %s", rec.Code, rec.Body)
				}
			}
		})
	}
}

// BenchmarkSecretKeyGet is one GET of a conversation's messages with
// Authorization: Bearer sk_…: checksum, keyed-hash lookup, owner load, scope
// check, both rate-limit windows (in memory) and the handler, on SQLite.
func BenchmarkSecretKeyGet(b *testing.B) {
	e := newEnv(b)
	owner, _ := e.seedOrg("Acme")
	w := e.seedWidget(owner.OrgID)
	v, _ := e.seedVisitor(w)
	c := e.seedConversation(v, "", 5)
	_, key := e.seedKey(owner, "live", []string{"chats:read"}, func(k *storage.APIKey) { k.RPM = 100_000 })
	a, err := New(Config{Store: e.store, Sessions: e.sessions, Hasher: testHasher(b), Now: e.clock.Now,
		APIUserRPM: 1_000_000})
	if err != nil {
		b.Fatal(err)
	}
	h := a.Handler()
	path := "/rest/v1/conversations/" + c.ID + "/messages"
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest("GET", path, nil)
		r.Header.Set("Authorization", "Bearer "+key)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != 200 {
			b.Fatalf("status %d %s", rec.Code, rec.Body)
		}
	}
}
