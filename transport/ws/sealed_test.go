package ws

import (
	"testing"
	"time"

	"github.com/helpr-chat/helpr/internal/sealcheck"
	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
)

// sealed wraps a test's raw store in the sealing store the server is given
// in production (Config.Directory accepts nothing else), under a fresh
// keyring.
func sealed(t testing.TB, raw storage.Store) *security.SealedStore {
	t.Helper()
	ring, err := security.NewKeyring(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cipher, err := security.NewFieldCipher(ring)
	if err != nil {
		t.Fatal(err)
	}
	return security.NewSealedStore(raw, cipher)
}

// Config.Directory takes only the sealing store: neither raw backend nor
// the raw storage.Store interface can be passed (this is a compile-time
// property; the test keeps it from being loosened).
func TestConfigDirectoryTakesOnlyTheSealedStore(t *testing.T) {
	t.Parallel()
	sealcheck.OnlySealedStore(t, Config{}, "Directory")
}
