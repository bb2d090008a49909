package security

import (
	"encoding/json"
	"fmt"
	"time"
)

// String describes the key without its material: "pii v3 (created
// 2030-01-02T03:04:05Z, secret redacted)".
func (k Key) String() string {
	return fmt.Sprintf("%s v%d (created %s, secret redacted)", k.Name, k.Version,
		k.CreatedAt.UTC().Format(time.RFC3339))
}

// Format prints String for every verb (%v, %+v, %#v, %s, %x, …), so no
// format directive can print the secret.
func (k Key) Format(f fmt.State, _ rune) {
	_, _ = f.Write([]byte(k.String()))
}

// MarshalJSON encodes the key without its material, so a key handed to a
// JSON logger cannot leak. (Keyring.Marshal writes the material.)
func (k Key) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Name      string    `json:"name"`
		Version   uint32    `json:"version"`
		CreatedAt time.Time `json:"created_at"`
		Secret    string    `json:"secret"`
	}{k.Name, k.Version, k.CreatedAt.UTC(), "redacted"})
}
