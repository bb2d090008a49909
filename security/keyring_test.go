package security

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// newRing returns a fresh keyring created at t0.
func newRing(t testing.TB) *Keyring {
	t.Helper()
	k, err := NewKeyring(t0)
	if err != nil {
		t.Fatalf("NewKeyring: %v", err)
	}
	return k
}

func TestNewKeyringHoldsVersionOneOfEachName(t *testing.T) {
	k := newRing(t)
	if got := k.Names(); strings.Join(got, ",") != "pii,blind-index,pseudonym" {
		t.Fatalf("names %v", got)
	}
	secrets := map[string]bool{}
	for _, name := range knownKeyNames {
		cur, err := k.Current(name)
		if err != nil || cur.Version != 1 || len(cur.Secret) != 32 || !cur.CreatedAt.Equal(t0) {
			t.Fatalf("%s current: %v v%d %d bytes, err %v", name, cur, cur.Version, len(cur.Secret), err)
		}
		secrets[string(cur.Secret)] = true
		vs := k.Versions(name)
		if len(vs) != 1 || !vs[0].Current || vs[0].Retired || vs[0].Name != name {
			t.Fatalf("%s versions %+v", name, vs)
		}
	}
	if len(secrets) != 3 {
		t.Fatalf("the three keys share material")
	}
	if k.Versions("nope") != nil {
		t.Fatal("versions of an unknown name")
	}
	if _, err := k.Current("nope"); !errors.Is(err, ErrKeyNotFound) {
		t.Fatalf("current of unknown name: %v", err)
	}
}

func TestKeyReturnsACopy(t *testing.T) {
	k := newRing(t)
	a, _ := k.Current(KeyPII)
	a.Secret[0] ^= 0xff
	b, _ := k.Current(KeyPII)
	if bytes.Equal(a.Secret, b.Secret) {
		t.Fatal("mutating a returned key changed the keyring")
	}
}

func TestRotateAddsCurrentVersionAndKeepsOld(t *testing.T) {
	k := newRing(t)
	old, _ := k.Current(KeyPII)
	later := t0.Add(48 * 3600e9)
	nk, err := k.Rotate(KeyPII, later)
	if err != nil || nk.Version != 2 || !nk.CreatedAt.Equal(later) || bytes.Equal(nk.Secret, old.Secret) {
		t.Fatalf("rotate: %v v%d, err %v", nk, nk.Version, err)
	}
	if cur, _ := k.Current(KeyPII); cur.Version != 2 {
		t.Fatalf("current after rotate: v%d", cur.Version)
	}
	if got, err := k.Key(KeyPII, 1); err != nil || !bytes.Equal(got.Secret, old.Secret) {
		t.Fatalf("old version after rotate: %v", err)
	}
	if cur, _ := k.Current(KeyBlindIndex); cur.Version != 1 {
		t.Fatalf("rotating pii moved blind-index to v%d", cur.Version)
	}
	if _, err := k.Rotate("nope", later); !errors.Is(err, ErrKeyNotFound) {
		t.Fatalf("rotate unknown name: %v", err)
	}
}

func TestRetire(t *testing.T) {
	k := newRing(t)
	if _, err := k.Rotate(KeyPII, t0); err != nil {
		t.Fatal(err)
	}
	err := k.Retire(KeyPII, 2)
	if err == nil || !strings.Contains(err.Error(), "current") {
		t.Fatalf("retiring the current version: %v", err)
	}
	if err := k.Retire(KeyPII, 9); !errors.Is(err, ErrKeyNotFound) {
		t.Fatalf("retiring a missing version: %v", err)
	}
	if err := k.Retire(KeyPII, 1); err != nil {
		t.Fatalf("retire v1: %v", err)
	}
	if err := k.Retire(KeyPII, 1); err != nil {
		t.Fatalf("retire v1 again: %v", err)
	}
	_, err = k.Key(KeyPII, 1)
	if !errors.Is(err, ErrKeyRetired) || !strings.Contains(err.Error(), "pii v1") {
		t.Fatalf("retired key: %v", err)
	}
	vs := k.Versions(KeyPII)
	if len(vs) != 2 || !vs[0].Retired || vs[0].Current || vs[1].Retired || !vs[1].Current {
		t.Fatalf("versions after retire: %+v", vs)
	}
	nk, err := k.Rotate(KeyPII, t0)
	if err != nil || nk.Version != 3 {
		t.Fatalf("rotate after retire: v%d, %v (versions are never reused)", nk.Version, err)
	}
}

func TestKeyNeverPrintsSecret(t *testing.T) {
	k := newRing(t)
	key, _ := k.Current(KeyPII)
	secretForms := []string{
		string(key.Secret),
		fmt.Sprintf("%x", key.Secret), fmt.Sprintf("%X", key.Secret), fmt.Sprint(key.Secret),
		base64.StdEncoding.EncodeToString(key.Secret), base64.RawURLEncoding.EncodeToString(key.Secret),
	}
	wrapped := struct{ K Key }{key}
	var outs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
		outs = append(outs, fmt.Sprintf(verb, key), fmt.Sprintf(verb, &key), fmt.Sprintf(verb, wrapped),
			fmt.Sprintf(verb, []Key{key}))
	}
	j, err := json.Marshal(wrapped)
	if err != nil {
		t.Fatal(err)
	}
	outs = append(outs, key.String(), string(j))
	for _, out := range outs {
		if !strings.Contains(out, "pii v1") && !strings.Contains(out, `"version":1`) {
			t.Errorf("output does not describe the key: %q", out)
		}
		for _, s := range secretForms {
			if strings.Contains(out, s) {
				t.Fatalf("output %q contains the secret", out)
			}
		}
	}
}
