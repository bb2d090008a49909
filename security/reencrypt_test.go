package security

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/helpr-chat/helpr/storage"
)

// seedVisitors stores n visitors under the current keys: vis_00 has no PII
// at all, the others have a name, every second one an email, every third a
// phone. It returns them by id.
func seedVisitors(t *testing.T, e *sealedEnv, n int) map[string]storage.Visitor {
	t.Helper()
	out := map[string]storage.Visitor{}
	for i := range n {
		id := fmt.Sprintf("vis_%02d", i)
		var name, email, phone string
		if i > 0 {
			name = "Canary " + id
			if i%2 == 0 {
				email = id + "@example.test"
			}
			if i%3 == 0 {
				phone = "+1555" + id[4:]
			}
		}
		out[id] = e.add(t, id, name, email, phone, i)
	}
	return out
}

func count(t *testing.T, e *sealedEnv, name string, version uint32) int {
	t.Helper()
	n, err := CountSealedWith(context.Background(), e.raw, name, version)
	if err != nil {
		t.Fatalf("count %s v%d: %v", name, version, err)
	}
	return n
}

func TestReencryptMovesEverythingThenRetireWorks(t *testing.T) {
	e := newSealedEnv(t)
	ctx := context.Background()
	want := seedVisitors(t, e, 12)
	err := e.s.EraseSubject(ctx, storage.Erasure{OrgID: e.org, Kind: storage.SubjectVisitor, SubjectID: "vis_11",
		Pseudonym: e.c.Pseudonym("vis_11"), At: t0})
	if err != nil {
		t.Fatal(err)
	}
	delete(want, "vis_11")
	piiValues := count(t, e, KeyPII, 1)
	if piiValues != 10+5+3 { // names of vis_01..10, emails of 02..10, phones of 03..09
		t.Fatalf("pii values on v1: %d, want 18", piiValues)
	}
	for _, name := range []string{KeyPII, KeyBlindIndex} {
		if _, err := e.k.Rotate(name, t0); err != nil {
			t.Fatal(err)
		}
	}
	// lazy: one record written after the rotation is already on v2
	v4 := want["vis_04"]
	if err := e.s.UpdateVisitor(ctx, v4); err != nil {
		t.Fatal(err)
	}
	if n := count(t, e, KeyPII, 1); n != piiValues-2 {
		t.Fatalf("pii values on v1 after a lazy rewrite: %d, want %d", n, piiValues-2)
	}

	// first run interrupted after its first batch
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var reports []ReencryptProgress
	p, err := Reencrypt(runCtx, e.raw, e.c, "", 5, func(p ReencryptProgress) {
		reports = append(reports, p)
		cancel()
	})
	if !errors.Is(err, context.Canceled) || p.Scanned != 5 || p.LastID != "vis_04" || p.Reencrypted != 3 {
		t.Fatalf("interrupted run: %+v, %v; want 5 scanned up to vis_04, 3 rewritten (00 empty, 04 lazy)", p, err)
	}
	if len(reports) != 1 || reports[0] != p {
		t.Fatalf("progress reports %+v", reports)
	}
	if n := count(t, e, KeyPII, 1); n == 0 {
		t.Fatal("nothing left on v1 after a partial run")
	}

	// resumed from LastID
	reports = nil
	p, err = Reencrypt(ctx, e.raw, e.c, p.LastID, 5, func(p ReencryptProgress) { reports = append(reports, p) })
	if err != nil || p.Scanned != 7 || p.Reencrypted != 6 || p.LastID != "vis_11" {
		t.Fatalf("resumed run: %+v, %v; want 7 scanned, 6 rewritten (vis_11 erased)", p, err)
	}
	if len(reports) != 2 || reports[0].Scanned != 5 || reports[1] != p {
		t.Fatalf("progress reports %+v", reports)
	}
	for _, name := range []string{KeyPII, KeyBlindIndex} {
		if n := count(t, e, name, 1); n != 0 {
			t.Fatalf("%s v1 still used by %d values", name, n)
		}
	}
	if n := count(t, e, KeyBlindIndex, 2); n != 5 {
		t.Fatalf("blind indexes on v2: %d, want 5", n)
	}

	// a re-run finds nothing to do (a SealedStore is unwrapped to its backend)
	p, err = Reencrypt(ctx, e.s, e.c, "", 0, nil)
	if err != nil || p.Scanned != 12 || p.Reencrypted != 0 {
		t.Fatalf("re-run: %+v, %v", p, err)
	}

	for _, name := range []string{KeyPII, KeyBlindIndex} {
		if err := e.k.Retire(name, 1); err != nil {
			t.Fatal(err)
		}
	}
	for id, v := range want {
		got, err := e.get(t, id)
		if err != nil || got.Name != v.Name || got.Email != v.Email || got.Phone != v.Phone {
			t.Fatalf("%s after retire: %+v, %v", id, got, err)
		}
	}
	got, err := e.s.FindVisitorByEmail(ctx, e.org, "VIS_06@example.test")
	if err != nil || got.ID != "vis_06" {
		t.Fatalf("find by email after retiring blind-index v1: %+v, %v", got, err)
	}
}

func TestRetiringWithValuesLeftLosesThem(t *testing.T) {
	// why `keys retire` refuses while CountSealedWith is not 0
	e := newSealedEnv(t)
	e.add(t, "vis_a", "Canary", "", "", 0)
	if _, err := e.k.Rotate(KeyPII, t0); err != nil {
		t.Fatal(err)
	}
	if n := count(t, e, KeyPII, 1); n != 1 {
		t.Fatalf("values on v1: %d", n)
	}
	if err := e.k.Retire(KeyPII, 1); err != nil {
		t.Fatal(err)
	}
	_, err := e.get(t, "vis_a")
	if !errors.Is(err, ErrKeyRetired) || !strings.Contains(err.Error(), "pii v1") {
		t.Fatalf("value under a retired version: %v", err)
	}
	// and re-encryption cannot rescue it: it stops, naming the visitor
	p, err := Reencrypt(context.Background(), e.raw, e.c, "", 0, nil)
	if !errors.Is(err, ErrKeyRetired) || !strings.Contains(err.Error(), "vis_a") || p.LastID != "" {
		t.Fatalf("reencrypt over a retired version: %+v, %v", p, err)
	}
}

func TestBlindIndexLookupAcrossRotation(t *testing.T) {
	e := newSealedEnv(t)
	ctx := context.Background()
	e.add(t, "vis_a", "A", "vera@example.test", "", 0)
	if _, err := e.k.Rotate(KeyBlindIndex, t0); err != nil {
		t.Fatal(err)
	}
	got, err := e.s.FindVisitorByEmail(ctx, e.org, "Vera@example.test")
	if err != nil || got.ID != "vis_a" {
		t.Fatalf("find a visitor indexed before the rotation: %+v, %v", got, err)
	}
	if v, _ := blindIndexVersion(e.rawGet(t, "vis_a").EmailIndex); v != 1 {
		t.Fatalf("stored index on v%d before reencrypt", v)
	}
	if _, err := Reencrypt(ctx, e.raw, e.c, "", 0, nil); err != nil {
		t.Fatal(err)
	}
	if v, _ := blindIndexVersion(e.rawGet(t, "vis_a").EmailIndex); v != 2 {
		t.Fatalf("stored index on v%d after reencrypt", v)
	}
	if err := e.k.Retire(KeyBlindIndex, 1); err != nil {
		t.Fatal(err)
	}
	got, err = e.s.FindVisitorByEmail(ctx, e.org, "vera@example.test")
	if err != nil || got.ID != "vis_a" {
		t.Fatalf("find after reencrypt and retire: %+v, %v", got, err)
	}
}

func TestCountSealedWithNames(t *testing.T) {
	e := newSealedEnv(t)
	e.add(t, "vis_a", "A", "a@example.test", "", 0)
	if n := count(t, e, KeyPseudonym, 1); n != 0 {
		t.Fatalf("pseudonym count %d", n)
	}
	if n := count(t, e, KeyBlindIndex, 1); n != 1 {
		t.Fatalf("blind-index count %d", n)
	}
	if n := count(t, e, KeyPII, 2); n != 0 {
		t.Fatalf("pii v2 count %d", n)
	}
	if _, err := CountSealedWith(context.Background(), e.raw, "nope", 1); !errors.Is(err, ErrKeyNotFound) {
		t.Fatalf("unknown name: %v", err)
	}
}
