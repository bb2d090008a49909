package storetest

import (
	"fmt"
	"testing"

	"github.com/helpr-chat/helpr/storage"
)

var searchCases = []testCase{
	{"SearchMessagesPrefix", testSearchPrefix},
	{"SearchMessagesPrefixHostile", testSearchPrefixHostile},
}

// searchFor fails unless query finds exactly want (newest first) in orgID.
func searchFor(t *testing.T, s storage.Store, orgID, query string, want []string) {
	t.Helper()
	list, err := s.SearchMessages(ctx(t), orgID, query, 0)
	if err != nil {
		t.Errorf("search %q: %v", query, err)
		return
	}
	sameList(t, ids(list, messageID), want, fmt.Sprintf("search %q in %s", query, orgID))
}

func testSearchPrefix(t *testing.T, s storage.Store) {
	a, b := newTenant(t, s, "acme"), newTenant(t, s, "beta")
	ca := a.conversation(t, s, "cnv_a", 10)
	refund := appendText(t, s, ca, "1", "refund for order 12", 20).ID
	pizza := appendText(t, s, ca, "2", "Ordering pizza tonight", 30).ID
	border := appendText(t, s, ca, "3", "the border is closed", 40).ID
	other := appendText(t, s, b.conversation(t, s, "cnv_b", 10), "1", "order 99 refund", 50).ID

	for query, want := range map[string][]string{
		"ord":         {pizza, refund},
		"ref ord":     {refund},
		"ORD 1":       {refund}, // "1" starts "12"
		"12 refund":   {refund}, // any order
		"order":       {pizza, refund},
		"orders":      nil,
		"der":         nil, // inside a word, not its start
		"2":           nil,
		"bord":        {border},
		"ord border":  nil, // every word must match
		"tonight ord": {pizza},
	} {
		searchFor(t, s, a.org.ID, query, want)
	}
	searchFor(t, s, b.org.ID, "ord ref", []string{other})
	searchFor(t, s, b.org.ID, "pizz", nil)
}

// testSearchPrefixHostile: search syntax and regular-expression
// metacharacters, in the query or in the text, are plain separators.
func testSearchPrefixHostile(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "acme")
	c := tn.conversation(t, s, "cnv_1", 10)
	hello := appendText(t, s, c, "1", "hello world", 20).ID
	marks := appendText(t, s, c, "2", `a+b (cd) [ef] {gh} ^ij$ kl|mn \op "qr" *st* x.y?`, 30).ID
	org := tn.org.ID
	for _, q := range []string{
		`"*:()^-`, `.*`, `.+`, `[a-z]+`, `h.*o`, `(?i)HELLO`, `el`, `llo`, `orld`, `\d`, `$where`,
		`hello|zebra`, `hel"* OR "zeb`, `NEAR(hel wor)`, `hel* NOT zeb*`, `wor AND hel`, `{$regex: ".*"}`,
		`' OR 1=1 --`, `\`, `"`, `*`, `^`, `$`, `(`, `)`, `|`, `?`, "\x00",
	} {
		searchFor(t, s, org, q, nil)
	}
	for q, want := range map[string][]string{
		`hel*`: {hello}, `"hel"`: {hello}, `(wor)`: {hello}, `^hel`: {hello}, `hel$`: {hello},
		`-wor`: {hello}, `wor:`: {hello}, `|hello`: {hello}, `hello"*:()^-`: {hello}, `wor.*`: {hello},
		`a+b`: {marks}, `(cd)`: {marks}, `[ef]`: {marks}, `{g}`: {marks}, `^ij$`: {marks},
		`kl|mn`: {marks}, `\op`: {marks}, `"q"`: {marks}, `*st*`: {marks}, `x.y?`: {marks},
	} {
		searchFor(t, s, org, q, want)
	}
}
