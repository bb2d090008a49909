package ws

import (
	"reflect"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/storage/mongo"
	"github.com/helpr-chat/helpr/storage/sqlite"
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
	f, ok := reflect.TypeOf(Config{}).FieldByName("Directory")
	if !ok {
		t.Fatal("Config has no Directory field")
	}
	raw := map[string]reflect.Type{
		"*sqlite.Store": reflect.TypeOf((*sqlite.Store)(nil)),
		"*mongo.Store":  reflect.TypeOf((*mongo.Store)(nil)),
		"storage.Store": reflect.TypeOf((*storage.Store)(nil)).Elem(),
	}
	for name, typ := range raw {
		if typ.Implements(f.Type) {
			t.Errorf("a %s can be passed as Config.Directory (%s): visitors would be read unopened", name, f.Type)
		}
	}
	if !reflect.TypeOf((*security.SealedStore)(nil)).Implements(f.Type) {
		t.Errorf("*security.SealedStore cannot be passed as Config.Directory (%s)", f.Type)
	}
}
