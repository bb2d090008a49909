package api

import (
	"net/http/httptest"
	"testing"
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
