package main

import (
	"reflect"
	"testing"

	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/storage/sqlite"
)

// The front end takes the sealed store like every other service: a raw
// backend is not a widgetFinder.
func TestWebTakesOnlyTheSealedStore(t *testing.T) {
	finder := reflect.TypeOf((*widgetFinder)(nil)).Elem()
	for _, raw := range []reflect.Type{reflect.TypeOf((*sqlite.Store)(nil)), reflect.TypeOf((*storage.Store)(nil)).Elem()} {
		if raw.Implements(finder) {
			t.Errorf("newWeb accepts a raw %s", raw)
		}
	}
	if !reflect.TypeOf((*security.SealedStore)(nil)).Implements(finder) {
		t.Error("newWeb does not accept a *security.SealedStore")
	}
}
