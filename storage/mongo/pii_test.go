package mongo

import (
	"bytes"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
)

// piiCanaries are a visitor's name, email and phone, before and after an
// update: none may reach a stored document in plaintext, in any case.
var piiCanaries = []string{
	"Canaryname Zqx7", "canary.zqx7@pii-canary.test", "+44 7700 900777",
	"Othername Zqx8", "other.zqx8@pii-canary.test", "+44 7700 900888",
}

// TestSealedVisitorsLeaveNoPlaintext writes visitors through
// security.SealedStore over the Mongo store, then reads every raw document
// of every collection with the driver and searches every string and
// binary value for the canaries.
func TestSealedVisitorsLeaveNoPlaintext(t *testing.T) {
	s, _ := openFresh(t)
	defer s.Close()
	ring, err := security.NewKeyring(at(0))
	if err != nil {
		t.Fatal(err)
	}
	cipher, err := security.NewFieldCipher(ring)
	if err != nil {
		t.Fatal(err)
	}
	sealed := security.NewSealedStore(s, cipher)
	ctx := t.Context()
	c := seedConversation(t, s)
	v := storage.Visitor{ID: "vis_1", OrgID: c.OrgID, WidgetID: "wdg_1", Name: piiCanaries[0],
		Email: piiCanaries[1], Phone: piiCanaries[2], CreatedAt: at(1), LastSeenAt: at(1)}
	must(t, sealed.CreateVisitor(ctx, v))
	must(t, sealed.CreateVisitor(ctx, storage.Visitor{ID: "vis_2", OrgID: c.OrgID, WidgetID: "wdg_1",
		Name: piiCanaries[3], Email: piiCanaries[4], Phone: piiCanaries[5], CreatedAt: at(2)}))
	v.Name, v.Email, v.Phone, v.LastSeenAt = piiCanaries[3], piiCanaries[4], piiCanaries[5], at(3)
	must(t, sealed.UpdateVisitor(ctx, v))

	got, err := sealed.FindVisitorByEmail(ctx, c.OrgID, strings.ToUpper(piiCanaries[4]))
	must(t, err)
	if got.Name != piiCanaries[3] || got.Phone != piiCanaries[5] {
		t.Errorf("visitor found by email opens to %q, %q", got.Name, got.Phone)
	}
	if found := rawCanaries(t, s); len(found) != 0 {
		t.Errorf("plaintext PII in stored documents: %v", found)
	}

	// The check can fail: the same visitor written without sealing is found.
	if err := s.CreateVisitor(ctx, storage.Visitor{ID: "vis_plain", OrgID: c.OrgID, Email: piiCanaries[1]}); err != nil {
		t.Fatal(err)
	}
	if found := rawCanaries(t, s); len(found) != 1 {
		t.Errorf("an unsealed canary: found %v, want exactly it", found)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// rawCanaries returns "collection: canary" for each canary found in a
// document of the store's database.
func rawCanaries(t *testing.T, s *Store) []string {
	t.Helper()
	names, err := s.db.ListCollectionNames(t.Context(), bson.D{})
	must(t, err)
	var found []string
	for _, name := range names {
		cur, err := s.db.Collection(name).Find(t.Context(), bson.D{})
		must(t, err)
		var docs []bson.Raw
		must(t, cur.All(t.Context(), &docs))
		for _, d := range docs {
			for _, c := range piiCanaries {
				if containsFolded(d, c) {
					found = append(found, name+": "+c)
				}
			}
		}
	}
	return found
}

// containsFolded reports whether any string or binary value in doc, at any
// depth, contains needle ignoring case.
func containsFolded(doc bson.Raw, needle string) bool {
	elems, err := doc.Elements()
	if err != nil {
		return true // unreadable: fail safe
	}
	for _, e := range elems {
		if valueContains(e.Value(), needle) {
			return true
		}
	}
	return false
}

func valueContains(v bson.RawValue, needle string) bool {
	switch v.Type {
	case bson.TypeString:
		return strings.Contains(strings.ToLower(v.StringValue()), strings.ToLower(needle))
	case bson.TypeBinary:
		_, data := v.Binary()
		return bytes.Contains(bytes.ToLower(data), []byte(strings.ToLower(needle)))
	case bson.TypeEmbeddedDocument:
		return containsFolded(v.Document(), needle)
	case bson.TypeArray:
		vals, err := v.Array().Values()
		if err != nil {
			return true
		}
		for _, x := range vals {
			if valueContains(x, needle) {
				return true
			}
		}
	}
	return false
}
