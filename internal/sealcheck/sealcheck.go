// Package sealcheck holds the test that a consumer's store type admits
// only the sealing store of package security: neither raw backend nor the
// raw storage.Store interface satisfies it.
package sealcheck

import (
	"reflect"
	"testing"

	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/storage/mongo"
	"github.com/helpr-chat/helpr/storage/sqlite"
)

// OnlySealedStore fails t unless *security.SealedStore can be assigned to
// the named field of the struct type of cfg and no raw store can.
func OnlySealedStore(t testing.TB, cfg any, field string) {
	t.Helper()
	f, ok := reflect.TypeOf(cfg).FieldByName(field)
	if !ok {
		t.Fatalf("%T has no %s field", cfg, field)
	}
	raw := map[string]reflect.Type{
		"*sqlite.Store": reflect.TypeOf((*sqlite.Store)(nil)),
		"*mongo.Store":  reflect.TypeOf((*mongo.Store)(nil)),
		"storage.Store": reflect.TypeOf((*storage.Store)(nil)).Elem(),
	}
	for name, typ := range raw {
		if typ.AssignableTo(f.Type) {
			t.Errorf("a %s can be passed as %T.%s (%s): visitors would bypass sealing", name, cfg, field, f.Type)
		}
	}
	if !reflect.TypeOf((*security.SealedStore)(nil)).AssignableTo(f.Type) {
		t.Errorf("*security.SealedStore cannot be passed as %T.%s (%s)", cfg, field, f.Type)
	}
}
