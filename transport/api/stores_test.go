package api

import (
	"testing"

	"github.com/helpr-chat/helpr/internal/sealcheck"
)

// Config.Store takes only the PII-sealing store: a raw backend (or any
// storage.Store) does not satisfy its type, so wiring one in fails to
// compile instead of writing visitors unsealed.
func TestConfigStoreTakesOnlyTheSealedStore(t *testing.T) {
	t.Parallel()
	sealcheck.OnlySealedStore(t, Config{}, "Store")
}
