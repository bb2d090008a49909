package sqlite

import (
	"fmt"
	"strings"
	"testing"

	"github.com/helpr-chat/helpr/storage"
)

func TestMatchExpr(t *testing.T) {
	if got := matchExpr([]string{"a", `b"c`}); got != `"a"* "b""c"*` {
		t.Errorf("matchExpr = %s", got)
	}
}

// seedSearch stores one conversation with the given texts.
func seedSearch(t testing.TB, s *Store, texts ...string) {
	t.Helper()
	ctx := t.Context()
	org := storage.Organization{ID: "org_1", Name: "One"}
	owner := storage.Agent{ID: "agt_1", OrgID: "org_1", Email: "a@one.example", Role: storage.RoleOwner}
	if err := s.CreateOrgWithOwner(ctx, org, owner); err != nil {
		t.Fatal(err)
	}
	c := storage.Conversation{ID: "cnv_1", OrgID: "org_1", VisitorID: "vis_1", WidgetID: "wdg_1"}
	if err := s.CreateConversation(ctx, c); err != nil {
		t.Fatal(err)
	}
	for _, text := range texts {
		m := storage.Message{OrgID: "org_1", ConversationID: "cnv_1", SenderKind: storage.SenderVisitor,
			SenderID: "vis_1", Text: text}
		if _, _, err := s.AppendMessage(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SyncSearch(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestSearchWordLimit(t *testing.T) {
	s, _ := openTemp(t)
	defer s.Close()
	words := make([]string, maxSearchTerms+1)
	for i := range words {
		words[i] = fmt.Sprint("w", i)
	}
	seedSearch(t, s, strings.Join(words, " "))
	got, err := s.SearchMessages(t.Context(), "org_1", strings.Join(words[:maxSearchTerms], " "), 0)
	if err != nil || len(got) != 1 {
		t.Fatalf("search with %d words: %d results, %v", maxSearchTerms, len(got), err)
	}
	if _, err := s.SearchMessages(t.Context(), "org_1", strings.Join(words, " "), 0); err == nil {
		t.Errorf("search with %d words: no error", len(words))
	}
	// Repeated words count once.
	many := strings.Repeat("w7 ", 1000)
	if got, err := s.SearchMessages(t.Context(), "org_1", many, 0); err != nil || len(got) != 1 {
		t.Errorf("search with one word repeated: %d results, %v", len(got), err)
	}
}

func TestSearchDiacriticsAndCase(t *testing.T) {
	s, _ := openTemp(t)
	defer s.Close()
	seedSearch(t, s, "Crème brûlée at the Café")
	for _, q := range []string{"creme brulee", "CAFÉ", "café crème", "cre BRU", "caf"} {
		got, err := s.SearchMessages(t.Context(), "org_1", q, 0)
		if err != nil || len(got) != 1 {
			t.Errorf("search %q: %d results, %v", q, len(got), err)
		}
	}
}

// FuzzSearchMessages: no query text makes SearchMessages fail.
func FuzzSearchMessages(f *testing.F) {
	for _, seed := range []string{`"foo OR (`, "hello world", "NEAR(a b)", "a:b", "*", "^x", "-", `"""`, "\x00", "héllo"} {
		f.Add(seed)
	}
	s, _ := openTemp(f)
	defer s.Close()
	seedSearch(f, s, "hello world", "foo bar", "héllo wörld", "a b c")
	f.Fuzz(func(t *testing.T, q string) {
		_, err := s.SearchMessages(t.Context(), "org_1", q, 0)
		if err != nil && len(storage.SearchWords(q)) <= maxSearchTerms {
			t.Fatalf("search %q: %v", q, err)
		}
	})
}
