package security

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/storage/sqlite"
)

// sealedEnv is a SealedStore over a real SQLite file, with one organisation.
type sealedEnv struct {
	k    *Keyring
	c    *FieldCipher
	raw  *sqlite.Store
	s    *SealedStore
	path string
	org  string
}

func newSealedEnv(t *testing.T) *sealedEnv {
	t.Helper()
	raw, path := openStore(t)
	k, c := newCipher(t)
	org := storage.Organization{ID: storage.NewID("org"), Name: "Acme", CreatedAt: t0}
	owner := storage.Agent{ID: storage.NewID("agt"), OrgID: org.ID, Name: "Ada", Email: storage.NewID("ada") + "@acme.test",
		Role: storage.RoleOwner, PasswordHash: "x", CreatedAt: t0}
	if err := raw.CreateOrgWithOwner(context.Background(), org, owner); err != nil {
		t.Fatalf("create org: %v", err)
	}
	return &sealedEnv{k: k, c: c, raw: raw, s: NewSealedStore(raw, c), path: path, org: org.ID}
}

// add stores a visitor through the SealedStore, last seen at t0+sec.
func (e *sealedEnv) add(t *testing.T, id, name, email, phone string, sec int) storage.Visitor {
	t.Helper()
	at := t0.Add(time.Duration(sec) * time.Second)
	v := storage.Visitor{ID: id, OrgID: e.org, WidgetID: "wdg_1", Name: name, Email: email, Phone: phone,
		CreatedAt: at, LastSeenAt: at}
	if err := e.s.CreateVisitor(context.Background(), v); err != nil {
		t.Fatalf("create visitor %s: %v", id, err)
	}
	return v
}

func (e *sealedEnv) get(t *testing.T, id string) (storage.Visitor, error) {
	t.Helper()
	return e.s.GetVisitor(context.Background(), e.org, id)
}

func (e *sealedEnv) rawGet(t *testing.T, id string) storage.Visitor {
	t.Helper()
	v, err := e.raw.GetVisitor(context.Background(), e.org, id)
	if err != nil {
		t.Fatalf("raw get %s: %v", id, err)
	}
	return v
}

func (e *sealedEnv) rawPut(t *testing.T, v storage.Visitor) {
	t.Helper()
	if err := e.raw.UpdateVisitor(context.Background(), v); err != nil {
		t.Fatalf("raw update %s: %v", v.ID, err)
	}
}

// dbBytes returns the database file with its WAL and shared-memory files.
func dbBytes(t *testing.T, path string) []byte {
	t.Helper()
	var all []byte
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		b, err := os.ReadFile(p)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	if len(all) == 0 {
		t.Fatal("no database bytes")
	}
	return all
}

func TestSealedStoreKeepsCanariesOutOfTheDatabaseFile(t *testing.T) {
	e := newSealedEnv(t)
	var canaries []string
	for i, sfx := range []string{"qx7", "zv9", "kw3"} {
		name, email, phone := "Canarina Plumage-"+sfx, "canarina."+sfx+"@example.test", "+1555019"+sfx
		canaries = append(canaries, name, email, phone)
		id := "vis_" + sfx
		e.add(t, id, "placeholder "+sfx, "first."+sfx+"@example.test", "", i)
		v := storage.Visitor{ID: id, OrgID: e.org, WidgetID: "wdg_1", Name: name, Email: email, Phone: phone,
			LastSeenAt: t0.Add(time.Hour)}
		if err := e.s.UpdateVisitor(context.Background(), v); err != nil {
			t.Fatal(err)
		}
		got, err := e.get(t, id)
		if err != nil || got.Name != name || got.Email != email || got.Phone != phone {
			t.Fatalf("get %s: %+v, %v", id, got, err)
		}
		if len(got.EmailIndex) != 36 || !bytes.Equal(got.EmailIndex, e.c.BlindIndex(e.org, email)) {
			t.Fatalf("email index %x", got.EmailIndex)
		}
	}
	// control: plaintext written around the SealedStore is visible in the
	// same bytes, so the search below can find what is there
	control := "Control-Plaintext-Marker"
	if err := e.raw.CreateVisitor(context.Background(), storage.Visitor{ID: "vis_ctl", OrgID: e.org,
		WidgetID: "wdg_1", Name: control}); err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		data := bytes.ToLower(dbBytes(t, e.path))
		if !bytes.Contains(data, []byte(strings.ToLower(control))) {
			t.Fatalf("%s: control plaintext not found: the scan sees nothing", when)
		}
		for _, c := range append(canaries, "first.qx7@example.test", "placeholder qx7") {
			if bytes.Contains(data, []byte(strings.ToLower(c))) {
				t.Errorf("%s: canary %q found in the raw database files", when, c)
			}
		}
	}
	check("open")
	if err := e.raw.Close(); err != nil {
		t.Fatal(err)
	}
	check("closed")
}

func TestSealedStoreRefusesMovedOrAlteredCiphertext(t *testing.T) {
	e := newSealedEnv(t)
	e.add(t, "vis_a", "Canary Alpha", "alpha@example.test", "+155501", 0)
	e.add(t, "vis_b", "Canary Beta", "beta@example.test", "+155502", 1)
	a, b := e.rawGet(t, "vis_a"), e.rawGet(t, "vis_b")

	expectFail := func(what, id, field string, want error) {
		t.Helper()
		got, err := e.get(t, id)
		if !errors.Is(err, want) || got.ID != "" {
			t.Fatalf("%s: %+v, %v; want %v", what, got, err, want)
		}
		msg := err.Error()
		if !strings.Contains(msg, id) || !strings.Contains(msg, field) || strings.Contains(msg, "Canary") {
			t.Fatalf("%s: error %q should name %s and %s and hold no value", what, msg, id, field)
		}
	}

	swapped := a
	swapped.Name = b.Name // another record's ciphertext
	e.rawPut(t, swapped)
	expectFail("swapped between records", "vis_a", "visitor.name", ErrDecrypt)

	moved := a
	moved.Email = a.Name // another field's ciphertext
	e.rawPut(t, moved)
	expectFail("moved between fields", "vis_a", "visitor.email", ErrDecrypt)

	flipped := a
	i := strings.LastIndexByte(a.Phone, ':') + 1
	payload, _ := base64.RawURLEncoding.DecodeString(a.Phone[i:])
	payload[len(payload)/2] ^= 0x01
	flipped.Phone = a.Phone[:i] + base64.RawURLEncoding.EncodeToString(payload)
	e.rawPut(t, flipped)
	expectFail("flipped bit", "vis_a", "visitor.phone", ErrDecrypt)

	_, err := e.s.FindVisitorByEmail(context.Background(), e.org, "alpha@example.test")
	if !errors.Is(err, ErrDecrypt) {
		t.Fatalf("find of a tampered visitor: %v", err)
	}
	plain := a
	plain.Name = "Canary Plain"
	e.rawPut(t, plain)
	expectFail("plaintext in the database", "vis_a", "visitor.name", ErrMalformedEnvelope)

	e.rawPut(t, a) // restored: opens again
	if got, err := e.get(t, "vis_a"); err != nil || got.Name != "Canary Alpha" {
		t.Fatalf("restored: %+v, %v", got, err)
	}
}

func TestSealedStoreMissingKeyVersionIsAClearError(t *testing.T) {
	e := newSealedEnv(t)
	before, err := e.k.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.k.Rotate(KeyPII, t0); err != nil {
		t.Fatal(err)
	}
	e.add(t, "vis_new", "Canary New", "", "", 0)
	stale, err := ParseKeyring(before) // a node still on the old keyring
	if err != nil {
		t.Fatal(err)
	}
	sc, _ := NewFieldCipher(stale)
	_, err = NewSealedStore(e.raw, sc).GetVisitor(context.Background(), e.org, "vis_new")
	if !errors.Is(err, ErrKeyNotFound) || !strings.Contains(err.Error(), "pii v2") ||
		!strings.Contains(err.Error(), "vis_new") || !strings.Contains(err.Error(), "visitor.name") {
		t.Fatalf("error %v: want ErrKeyNotFound naming pii v2, the visitor and the field", err)
	}
}

func TestSealedStoreRotationIsLazy(t *testing.T) {
	e := newSealedEnv(t)
	e.add(t, "vis_old", "Canary Old", "old@example.test", "+1", 0)
	if _, err := e.k.Rotate(KeyPII, t0); err != nil {
		t.Fatal(err)
	}
	e.add(t, "vis_new", "Canary New", "new@example.test", "+2", 1)
	if n := e.rawGet(t, "vis_old").Name; !strings.HasPrefix(n, "hpe1:pii:1:") {
		t.Fatalf("old record not on v1: %.12s", n)
	}
	if n := e.rawGet(t, "vis_new").Name; !strings.HasPrefix(n, "hpe1:pii:2:") {
		t.Fatalf("new write not on v2: %.12s", n)
	}
	old, err := e.get(t, "vis_old")
	if err != nil || old.Name != "Canary Old" {
		t.Fatalf("old value after rotate: %+v, %v", old, err)
	}
	if n, _ := CountSealedWith(context.Background(), e.raw, KeyPII, 1); n != 3 {
		t.Fatalf("values on v1: %d, want 3", n)
	}
	old.LastSeenAt = t0.Add(time.Minute)
	if err := e.s.UpdateVisitor(context.Background(), old); err != nil {
		t.Fatal(err)
	}
	for _, f := range visitorFields(new(e.rawGet(t, "vis_old"))) {
		if !strings.HasPrefix(*f.value, "hpe1:pii:2:") {
			t.Fatalf("%s not moved to v2 by the write", f.name)
		}
	}
	if n, _ := CountSealedWith(context.Background(), e.raw, KeyPII, 1); n != 0 {
		t.Fatalf("values on v1 after the write: %d", n)
	}
}

func TestSealedStoreFindVisitorByEmail(t *testing.T) {
	e := newSealedEnv(t)
	ctx := context.Background()
	e.add(t, "vis_a", "A", "Vera@Example.test", "", 0)
	e.add(t, "vis_b", "B", "", "+1", 1)
	got, err := e.s.FindVisitorByEmail(ctx, e.org, "  vera@example.TEST ")
	if err != nil || got.ID != "vis_a" || got.Email != "Vera@Example.test" {
		t.Fatalf("find: %+v, %v", got, err)
	}
	if b := e.rawGet(t, "vis_b"); b.EmailIndex != nil {
		t.Fatalf("visitor without email has index %x", b.EmailIndex)
	}
	for _, q := range []string{"", "other@example.test"} {
		if _, err := e.s.FindVisitorByEmail(ctx, e.org, q); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("find %q: %v", q, err)
		}
	}
	if _, err := e.s.FindVisitorByEmail(ctx, "org_other", "vera@example.test"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("find in another organisation: %v", err)
	}

	// an index copied onto another row must not redirect the lookup
	b := e.rawGet(t, "vis_b")
	b.EmailIndex = e.rawGet(t, "vis_a").EmailIndex
	b.LastSeenAt = t0.Add(time.Hour)
	e.rawPut(t, b)
	if got, err := e.s.FindVisitorByEmail(ctx, e.org, "vera@example.test"); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("copied index: %+v, %v; want ErrDecrypt", got, err)
	}
}

func TestSealedStorePassesErasureThrough(t *testing.T) {
	e := newSealedEnv(t)
	ctx := context.Background()
	e.add(t, "vis_a", "Canary", "canary@example.test", "+1", 0)
	err := e.s.EraseSubject(ctx, storage.Erasure{OrgID: e.org, Kind: storage.SubjectVisitor, SubjectID: "vis_a",
		Pseudonym: e.s.Pseudonym("vis_a"), At: t0})
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.get(t, "vis_a")
	if err != nil || !got.Deleted() || got.Name != "" || got.Email != "" || got.Phone != "" || got.EmailIndex != nil {
		t.Fatalf("erased visitor: %+v, %v", got, err)
	}
	if _, err := e.s.FindVisitorByEmail(ctx, e.org, "canary@example.test"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("find erased visitor: %v", err)
	}
	if e.s.Inner() != storage.Store(e.raw) {
		t.Fatal("Inner is not the backend")
	}
}
