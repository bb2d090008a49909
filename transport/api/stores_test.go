package api

import (
	"reflect"
	"testing"

	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/storage/mongo"
	"github.com/helpr-chat/helpr/storage/sqlite"
)

// Config.Store takes only the PII-sealing store: a raw backend (or any
// storage.Store) does not satisfy its type, so wiring one in fails to
// compile instead of writing visitors unsealed.
func TestConfigStoreTakesOnlyTheSealedStore(t *testing.T) {
	f, ok := reflect.TypeOf(Config{}).FieldByName("Store")
	if !ok {
		t.Fatal("Config has no Store field")
	}
	raw := map[string]reflect.Type{
		"*sqlite.Store": reflect.TypeOf((*sqlite.Store)(nil)),
		"*mongo.Store":  reflect.TypeOf((*mongo.Store)(nil)),
		"storage.Store": reflect.TypeOf((*storage.Store)(nil)).Elem(),
	}
	for name, typ := range raw {
		if typ.Implements(f.Type) {
			t.Errorf("a %s can be passed as Config.Store (%s): visitors would bypass sealing", name, f.Type)
		}
	}
	if !reflect.TypeOf((*security.SealedStore)(nil)).Implements(f.Type) {
		t.Errorf("*security.SealedStore cannot be passed as Config.Store (%s)", f.Type)
	}
}
