package mongo

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/helpr-chat/helpr/internal/testsvc"
	"github.com/helpr-chat/helpr/storage"
)

// TestSearchIndexAfterOpen checks the keys of the search index and that
// Open drops the retired text index of earlier versions.
func TestSearchIndexAfterOpen(t *testing.T) {
	s, db := openFresh(t)
	defer s.Close()
	if got := indexKeys(t, s, collMessages, "org_words"); !slices.Equal(got, []string{"org_id 1", "words 1"}) {
		t.Errorf("org_words keys = %q, want org_id then words, ascending", got)
	}
	// FerretDB v1 has no text indexes; the name is what Open looks for.
	model := mongo.IndexModel{Keys: bson.D{asc("text")}, Options: optionsNamed("text_search")}
	if _, err := s.coll(collMessages).Indexes().CreateOne(t.Context(), model); err != nil {
		t.Fatal(err)
	}
	again := openOn(t, testsvc.MongoURI(t), db)
	defer again.Close()
	if have, err := again.indexNames(t.Context(), collMessages); err != nil || have["text_search"] || !have["org_words"] {
		t.Errorf("indexes after reopening: %v (err %v), want org_words and no text_search", have, err)
	}
}

// indexKeys returns the keys of the named index of coll, each as the
// field and its direction ("org_id 1"); none when there is no such index.
func indexKeys(t *testing.T, s *Store, coll, name string) []string {
	t.Helper()
	specs, err := s.coll(coll).Indexes().ListSpecifications(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, spec := range specs {
		if spec.Name != name {
			continue
		}
		elems, err := spec.KeysDocument.Elements()
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range elems {
			dir, _ := e.Value().AsInt64OK()
			out = append(out, fmt.Sprint(e.Key(), " ", dir))
		}
	}
	return out
}

// TestSearchFilterIsIndexPrefix checks, for hostile queries too, that the
// search filter is what the org_words index serves: org_id equal, then
// only anchored, option-free regular expressions on words whose rest is a
// literal (no metacharacter survives).
func TestSearchFilterIsIndexPrefix(t *testing.T) {
	for _, q := range []string{"ord", "ref ORD École", `.*`, `$where ^a$ (b|c)`, `{$regex: ".*"}`, `\d+ [x-z]`} {
		f := searchFilter("org_1", queryWords(storage.SearchWords(q)))
		if len(f) != 2 || f[0].Key != "org_id" || f[0].Value != "org_1" || f[1].Key != "$and" {
			t.Errorf("filter of %q = %v, want org_id then $and", q, f)
			continue
		}
		for _, c := range f[1].Value.(bson.A) {
			cond := c.(bson.D)
			re, ok := cond[0].Value.(bson.Regex)
			rest, anchored := strings.CutPrefix(re.Pattern, "^")
			if len(cond) != 1 || cond[0].Key != "words" || !ok || !anchored || re.Options != "" ||
				rest == "" || regexp.QuoteMeta(rest) != rest {
				t.Errorf("condition of %q = %v, want {words: /^literal/}", q, cond)
			}
		}
	}
}

// seedSearchOrgs inserts n messages into org_1, none with a word starting
// "ord", and n into org_2, all with "ordinary" and "order".
func seedSearchOrgs(t testing.TB, s *Store, n int) {
	t.Helper()
	for _, org := range []struct{ id, text string }{{"org_1", "hello world %d"}, {"org_2", "an ordinary order %d"}} {
		docs := make([]any, n)
		for i := range docs {
			m := storage.Message{ID: fmt.Sprintf("msg_%s_%d", org.id, i), OrgID: org.id, ConversationID: "cnv_" + org.id,
				Seq: int64(i + 1), SenderKind: storage.SenderVisitor, SenderID: "vis_1",
				Text: fmt.Sprintf(org.text, i), CreatedAt: at(i)}
			docs[i] = newMessageDoc(m)
		}
		if _, err := s.coll(collMessages).InsertMany(t.Context(), docs); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSearchMissReadsNoMessages: a search matching nothing in org_1 finds
// nothing while org_2's messages all match, and, on a server that reports
// execution statistics (MongoDB), examines no message at all.
func TestSearchMissReadsNoMessages(t *testing.T) {
	s, _ := openFresh(t)
	defer s.Close()
	const n = 500
	seedSearchOrgs(t, s, n)
	if list, err := s.SearchMessages(t.Context(), "org_1", "ord", 0); err != nil || len(list) != 0 {
		t.Fatalf("search org_1 for ord: %d messages, err %v; want none", len(list), err)
	}
	list, err := s.SearchMessages(t.Context(), "org_2", "ORD ordinary", maxSearchLimit)
	if err != nil || len(list) != maxSearchLimit || list[0].ID != fmt.Sprintf("msg_org_2_%d", n-1) {
		t.Fatalf("search org_2: %d messages, err %v; want the newest %d", len(list), err, maxSearchLimit)
	}
	stats := explainSearch(t, s, "org_1", "ord")
	if stats == nil {
		// The results are checked above on every server; only the plan is not.
		t.Log("the server reports no executionStats (FerretDB v1 explains with SQLite's query plan only, " +
			"and answers this filter by scanning the collection): the index use is checked against a mongod " +
			"(HELPR_TEST_MONGO_URI)")
		return
	}
	docs, okDocs := stats.Lookup("totalDocsExamined").AsInt64OK()
	keys, okKeys := stats.Lookup("totalKeysExamined").AsInt64OK()
	if !okDocs || !okKeys || docs != 0 || keys > 1 {
		t.Errorf("a miss examined %d documents and %d index keys (%v), want none and at most 1", docs, keys, stats)
	}
}

// explainSearch returns the executionStats of the find SearchMessages
// sends for query in orgID, or nil when the server reports none.
func explainSearch(t *testing.T, s *Store, orgID, query string) bson.Raw {
	t.Helper()
	find := bson.D{{Key: "find", Value: collMessages},
		{Key: "filter", Value: searchFilter(orgID, queryWords(storage.SearchWords(query)))},
		{Key: "sort", Value: bson.D{desc("created_at"), desc("ins")}},
		{Key: "projection", Value: withoutWords}, {Key: "limit", Value: defaultSearchLimit}}
	cmd := bson.D{{Key: "explain", Value: find}, {Key: "verbosity", Value: "executionStats"}}
	res, err := s.db.RunCommand(t.Context(), cmd).Raw()
	if err != nil {
		t.Fatalf("explain: %v", err)
	}
	stats, ok := res.Lookup("executionStats").DocumentOK()
	if !ok {
		t.Logf("explain without executionStats: %v", res)
		return nil
	}
	return stats
}

func optionsNamed(name string) *options.IndexOptionsBuilder { return options.Index().SetName(name) }
