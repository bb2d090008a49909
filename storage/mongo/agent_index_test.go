package mongo

import (
	"slices"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/helpr-chat/helpr/internal/testsvc"
	"github.com/helpr-chat/helpr/storage"
)

// TestAgentEmailIndexPerOrg checks that an agent's email is unique per
// organisation and that Open drops the global email_unique index of
// earlier versions, after which the same email fits in two organisations.
func TestAgentEmailIndexPerOrg(t *testing.T) {
	s, db := openFresh(t)
	defer s.Close()
	if got := indexKeys(t, s, collAgents, "email_org_unique"); !slices.Equal(got, []string{"email 1", "org_id 1"}) {
		t.Errorf("email_org_unique keys = %q, want email then org_id", got)
	}
	if err := s.coll(collAgents).Indexes().DropOne(t.Context(), "email_org_unique"); err != nil {
		t.Fatal(err)
	}
	unique := optionsNamed("email_unique").SetUnique(true)
	model := mongo.IndexModel{Keys: bson.D{asc("email")}, Options: unique}
	if _, err := s.coll(collAgents).Indexes().CreateOne(t.Context(), model); err != nil {
		t.Fatal(err)
	}
	again := openOn(t, testsvc.MongoURI(t), db)
	defer again.Close()
	have, err := again.indexNames(t.Context(), collAgents)
	if err != nil || have["email_unique"] || !have["email_org_unique"] {
		t.Fatalf("indexes after reopening: %v (err %v), want email_org_unique and no email_unique", have, err)
	}
	for _, org := range []string{"org_a", "org_b"} {
		if err := again.CreateOrgWithOwner(t.Context(), storage.Organization{ID: org, Name: org},
			storage.Agent{ID: "agt_" + org, Email: "same@example.com", Role: storage.RoleOwner}); err != nil {
			t.Fatalf("owner of %s with a shared email: %v", org, err)
		}
	}
	dup := storage.Agent{ID: "agt_dup", OrgID: "org_a", Email: "SAME@example.com", Role: storage.RoleAgent}
	wantConflict(t, again.CreateAgent(t.Context(), dup), "the email twice in one organisation")
}
