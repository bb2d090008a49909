package security

import (
	"testing"
	"time"
)

func TestKeyedHash(t *testing.T) {
	k, err := NewKeyring(time.Unix(1_767_225_600, 0))
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewFieldCipher(k)
	if err != nil {
		t.Fatal(err)
	}
	h := c.KeyedHash("backup_code", "1234-5678")
	if len(h) != blindIndexLen || !c.KeyedHashEqual("backup_code", "1234-5678", h) {
		t.Fatal("a keyed hash does not verify its own value")
	}
	for _, tc := range []struct{ purpose, value string }{
		{"backup_code", "1234-5679"}, {"reset_code", "1234-5678"}, {"backup_cod", "e1234-5678"},
	} {
		if c.KeyedHashEqual(tc.purpose, tc.value, h) {
			t.Errorf("KeyedHashEqual(%q, %q) matched another purpose or value", tc.purpose, tc.value)
		}
	}
	if c.KeyedHashEqual("backup_code", "1234-5678", h[:10]) || c.KeyedHashEqual("backup_code", "1234-5678", nil) {
		t.Error("a malformed stored hash matched")
	}
	if _, err := k.Rotate(KeyBlindIndex, time.Unix(1_767_225_700, 0)); err != nil {
		t.Fatal(err)
	}
	if !c.KeyedHashEqual("backup_code", "1234-5678", h) {
		t.Error("a hash under the previous key version stopped verifying after rotation")
	}
}
