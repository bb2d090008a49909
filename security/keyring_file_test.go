package security

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestKeyringMarshalParseRoundTrip(t *testing.T) {
	k := newRing(t)
	for _, name := range []string{KeyPII, KeyPII, KeyBlindIndex} {
		if _, err := k.Rotate(name, t0.Add(3600e9)); err != nil {
			t.Fatal(err)
		}
	}
	if err := k.Retire(KeyPII, 1); err != nil {
		t.Fatal(err)
	}
	data, err := k.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseKeyring(data)
	if err != nil {
		t.Fatalf("parse what Marshal wrote: %v\n%s", err, data)
	}
	for _, name := range knownKeyNames {
		want, got := k.Versions(name), back.Versions(name)
		if len(want) != len(got) {
			t.Fatalf("%s: %d versions, want %d", name, len(got), len(want))
		}
		for i := range want {
			if want[i] != got[i] {
				t.Errorf("%s[%d]: %+v, want %+v", name, i, got[i], want[i])
			}
			if want[i].Retired {
				continue
			}
			a, _ := k.Key(name, want[i].Version)
			b, err := back.Key(name, want[i].Version)
			if err != nil || !bytes.Equal(a.Secret, b.Secret) {
				t.Errorf("%s v%d: material differs after round trip (%v)", name, want[i].Version, err)
			}
		}
	}
	again, _ := back.Marshal()
	if !bytes.Equal(again, data) {
		t.Errorf("marshal is not stable:\n%s\n%s", data, again)
	}
}

// keyringDoc returns a valid keyring document as generic JSON to mutate.
func keyringDoc(t *testing.T) (map[string]any, []any) {
	t.Helper()
	data, err := newRing(t).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	return doc, doc["keys"].([]any)
}

func TestParseKeyringRefusesInvalidDocuments(t *testing.T) {
	secret := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0x5a}, 32))
	cases := []struct {
		name   string
		mutate func(doc map[string]any, keys []any) any
		want   string
	}{
		{"wrong format", func(d map[string]any, _ []any) any { d["format"] = "helpr-keyring-v9"; return d }, "format"},
		{"unknown field", func(d map[string]any, _ []any) any { d["extra"] = 1; return d }, "unknown field"},
		{"unknown name", func(d map[string]any, k []any) any { item(k, 0)["name"] = "pi"; return d }, `unknown key name "pi"`},
		{"missing name", func(d map[string]any, k []any) any { d["keys"] = k[1:]; return d }, `no "pii" key`},
		{"version zero", func(d map[string]any, k []any) any { item(k, 0)["version"] = 0; return d }, "version must be 1"},
		{"no created_at", func(d map[string]any, k []any) any { delete(item(k, 0), "created_at"); return d }, "created_at"},
		{"short secret", func(d map[string]any, k []any) any {
			item(k, 0)["secret"] = base64.StdEncoding.EncodeToString(make([]byte, 16))
			return d
		}, "16 bytes, want 32"},
		{"zero secret", func(d map[string]any, k []any) any {
			item(k, 0)["secret"] = base64.StdEncoding.EncodeToString(make([]byte, 32))
			return d
		}, "all zero"},
		{"bad base64", func(d map[string]any, k []any) any { item(k, 0)["secret"] = "!!!!" + secret[4:]; return d }, "base64"},
		{"no secret", func(d map[string]any, k []any) any { delete(item(k, 0), "secret"); return d }, "secret is missing"},
		{"duplicate version", func(d map[string]any, k []any) any {
			dup := maps.Clone(item(k, 0))
			delete(dup, "current")
			d["keys"] = append(k, dup)
			return d
		}, "duplicate version"},
		{"two current", func(d map[string]any, k []any) any {
			dup := maps.Clone(item(k, 0))
			dup["version"] = 2
			dup["secret"] = secret
			d["keys"] = append(k, dup)
			return d
		}, "second current"},
		{"no current", func(d map[string]any, k []any) any { delete(item(k, 0), "current"); return d }, `no current version of "pii"`},
		{"retired current", func(d map[string]any, k []any) any {
			item(k, 0)["retired"] = true
			delete(item(k, 0), "secret")
			return d
		}, "retired version cannot be current"},
		{"retired with secret", func(d map[string]any, k []any) any {
			dup := maps.Clone(item(k, 0))
			dup["version"], dup["retired"], dup["secret"] = 2, true, secret
			delete(dup, "current")
			d["keys"] = append(k, dup)
			return d
		}, "must not carry a secret"},
		{"not an object", func(map[string]any, []any) any { return []int{1} }, "cannot unmarshal"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc, keys := keyringDoc(t)
			data, err := json.Marshal(tc.mutate(doc, keys))
			if err != nil {
				t.Fatal(err)
			}
			_, err = ParseKeyring(data)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			if strings.Contains(err.Error(), secret) {
				t.Fatalf("error %q holds a secret", err)
			}
		})
	}
}

func TestParseKeyringRefusesMalformedJSONWithoutQuotingIt(t *testing.T) {
	for _, in := range []string{"", "{", `{"format": "helpr-keyring-v1", "keys": [{"secret": "c2VjcmV0` + "\x01", `{} {}`} {
		_, err := ParseKeyring([]byte(in))
		if err == nil {
			t.Fatalf("%q accepted", in)
		}
		if strings.Contains(err.Error(), "c2VjcmV0") {
			t.Fatalf("error quotes the input: %v", err)
		}
	}
	if _, err := ParseKeyring(bytes.Repeat([]byte(" "), maxKeyringBytes+1)); err == nil {
		t.Fatal("oversized document accepted")
	}
}

func TestLoadKeyringFileChecksMode(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix file modes do not apply on Windows")
	}
	path := filepath.Join(t.TempDir(), "keyring.json")
	want := newRing(t)
	if err := WriteKeyringFile(path, want); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o660, 0o700 | 0o001} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		k, err := LoadKeyringFile(path)
		if err == nil || k != nil || !strings.Contains(err.Error(), "chmod 600 "+path) {
			t.Errorf("mode %04o: keyring %v, err %v (want a refusal naming chmod 600)", mode, k != nil, err)
		}
	}
	for _, mode := range []os.FileMode{0o600, 0o400} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		k, err := LoadKeyringFile(path)
		if err != nil {
			t.Fatalf("mode %04o: %v", mode, err)
		}
		a, _ := want.Current(KeyPII)
		b, _ := k.Current(KeyPII)
		if !bytes.Equal(a.Secret, b.Secret) {
			t.Fatal("loaded keyring differs from the written one")
		}
	}
}

func TestLoadKeyringFileErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := LoadKeyringFile(filepath.Join(dir, "missing.json"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing file: %v, want fs.ErrNotExist", err)
	}
	if _, err := LoadKeyringFile(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("directory: %v", err)
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"format":"helpr-keyring-v1","keys":[]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKeyringFile(bad); err == nil || !strings.Contains(err.Error(), bad) {
		t.Fatalf("malformed keyring: %v (want an error naming the file)", err)
	}
}

func TestWriteKeyringFileIsAtomicAndPrivate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "keyring.json")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	k := newRing(t)
	if err := WriteKeyringFile(path, k); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %04o after write, want 0600", fi.Mode().Perm())
	}
	data, _ := os.ReadFile(path)
	want, _ := k.Marshal()
	if !bytes.Equal(data, want) {
		t.Fatal("file does not hold the marshalled keyring")
	}
	if leftovers, _ := filepath.Glob(filepath.Join(dir, ".keyring-*")); len(leftovers) != 0 {
		t.Fatalf("temporary files left behind: %v", leftovers)
	}
	if err := WriteKeyringFile(filepath.Join(dir, "no", "such", "dir", "k.json"), k); err == nil {
		t.Fatal("write into a missing directory succeeded")
	}
}

func item(keys []any, i int) map[string]any { return keys[i].(map[string]any) }
