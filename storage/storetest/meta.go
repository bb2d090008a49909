package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/helpr-chat/helpr/storage"
)

var metaCases = []testCase{
	{"Meta/SwapIsCompareAndSet", testMetaSwap},
	{"Meta/ConcurrentFirstWriteHasOneWinner", testMetaRace},
}

// testMetaSwap: a missing name is ErrNotFound; SwapMeta writes only when
// the current value is old ("" for none) and refuses an empty value.
func testMetaSwap(t *testing.T, s storage.Store) {
	ctx := context.Background()
	if _, err := s.Meta(ctx, storage.MetaKeyringFingerprint); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("Meta of an unset name = %v, want ErrNotFound", err)
	}
	steps := []struct {
		old, value string
		want       bool
		stored     string
	}{
		{"", "a", true, "a"},  // first write
		{"", "b", false, "a"}, // already set: "" no longer matches
		{"x", "b", false, "a"},
		{"a", "b", true, "b"},
		{"a", "c", false, "b"},
	}
	for i, st := range steps {
		got, err := s.SwapMeta(ctx, storage.MetaKeyringFingerprint, st.old, st.value)
		ok(t, err, "SwapMeta")
		if got != st.want {
			t.Fatalf("step %d: SwapMeta(%q→%q) = %v, want %v", i, st.old, st.value, got, st.want)
		}
		v, err := s.Meta(ctx, storage.MetaKeyringFingerprint)
		ok(t, err, "Meta")
		if v != st.stored {
			t.Fatalf("step %d: Meta = %q, want %q", i, v, st.stored)
		}
	}
	if _, err := s.SwapMeta(ctx, storage.MetaKeyringFingerprint, "b", ""); err == nil {
		t.Fatal("SwapMeta with an empty value succeeded")
	}
	if _, err := s.Meta(ctx, "other"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("Meta of another name = %v, want ErrNotFound", err)
	}
}

// testMetaRace: nodes recording a first value at once agree on one winner.
func testMetaRace(t *testing.T, s storage.Store) {
	ctx := context.Background()
	const n = 8
	won := make([]bool, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := s.SwapMeta(ctx, "race", "", string(rune('a'+i)))
			if err != nil {
				t.Errorf("SwapMeta: %v", err)
			}
			won[i] = got
		}()
	}
	wg.Wait()
	winners := 0
	for i, w := range won {
		if w {
			winners++
			v, err := s.Meta(ctx, "race")
			ok(t, err, "Meta")
			if v != string(rune('a'+i)) {
				t.Errorf("Meta = %q, want the winner's %q", v, string(rune('a'+i)))
			}
		}
	}
	if winners != 1 {
		t.Fatalf("%d winners, want 1", winners)
	}
}
