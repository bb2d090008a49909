package storetest

import (
	"testing"

	"github.com/helpr-chat/helpr/storage"
)

var widgetCases = []testCase{
	{"WidgetSettingsRoundTrip", testWidgetSettingsRoundTrip},
	{"UpdateWidget", testUpdateWidget},
	{"UpdateWidgetTenancy", testUpdateWidgetTenancy},
}

// testWidgetSettingsRoundTrip: a widget created with settings reads them
// back everywhere; one created without reads empty modes (the defaults).
func testWidgetSettingsRoundTrip(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "acme")
	got, err := s.GetWidget(ctx(t), tn.org.ID, tn.widget.ID)
	ok(t, err, "get widget without settings")
	if got.Prechat != (storage.PrechatFields{}) || got.OfflineMessage != "" {
		t.Errorf("widget without settings: prechat %#v, offline %q; want empty (defaults)", got.Prechat, got.OfflineMessage)
	}
	w := storage.Widget{ID: "wdg_set", OrgID: tn.org.ID, Name: "Set", PublishableKey: "pk_set",
		Prechat: storage.PrechatFields{Name: storage.FieldHidden, Email: storage.FieldRequired,
			Phone: storage.FieldOptional},
		OfflineMessage: "Back at 9 — leave a message", CreatedAt: at(20)}
	ok(t, s.CreateWidget(ctx(t), w), "create widget with settings")
	got, err = s.GetWidget(ctx(t), tn.org.ID, w.ID)
	ok(t, err, "get widget with settings")
	same(t, got, w, "widget with settings")
	got, err = s.GetWidgetByKey(ctx(t), w.PublishableKey)
	ok(t, err, "get widget with settings by key")
	same(t, got, w, "widget with settings by key")
	list, err := s.ListWidgets(ctx(t), tn.org.ID)
	ok(t, err, "list widgets")
	same(t, list, []storage.Widget{tn.widget, w}, "listed widgets")
}

// testUpdateWidget: an update replaces name, origins, modes and offline
// message, keeps the key and creation time, and can reset to defaults.
func testUpdateWidget(t *testing.T, s storage.Store) {
	tn := newTenant(t, s, "acme")
	want := tn.widget
	want.Name = "Renamed"
	want.AllowedOrigins = []string{"https://new.acme.example", "http://localhost:8080"}
	want.Prechat = storage.PrechatFields{Name: storage.FieldOptional, Email: storage.FieldRequired,
		Phone: storage.FieldHidden}
	want.OfflineMessage = "We are away"
	sent := want
	sent.PublishableKey = "pk_ignored" // the key and creation time never change
	sent.CreatedAt = at(99)
	ok(t, s.UpdateWidget(ctx(t), sent), "update widget")
	got, err := s.GetWidget(ctx(t), tn.org.ID, tn.widget.ID)
	ok(t, err, "get updated widget")
	same(t, got, want, "updated widget")
	got, err = s.GetWidgetByKey(ctx(t), tn.widget.PublishableKey)
	ok(t, err, "get updated widget by its unchanged key")
	same(t, got, want, "updated widget by key")

	reset := storage.Widget{ID: tn.widget.ID, OrgID: tn.org.ID, Name: "Bare"}
	ok(t, s.UpdateWidget(ctx(t), reset), "reset widget to defaults")
	got, err = s.GetWidget(ctx(t), tn.org.ID, tn.widget.ID)
	ok(t, err, "get reset widget")
	reset.PublishableKey, reset.CreatedAt = tn.widget.PublishableKey, tn.widget.CreatedAt
	same(t, got, reset, "reset widget (no origins, default modes)")

	wantErr(t, s.UpdateWidget(ctx(t), storage.Widget{ID: "wdg_missing", OrgID: tn.org.ID, Name: "x"}),
		storage.ErrNotFound, "update unknown widget")
}

// testUpdateWidgetTenancy: an organisation cannot update another's widget.
func testUpdateWidgetTenancy(t *testing.T, s storage.Store) {
	a := newTenant(t, s, "acme")
	b := newTenant(t, s, "beta")
	hijack := b.widget
	hijack.OrgID = a.org.ID
	hijack.Name = "Hijacked"
	hijack.AllowedOrigins = []string{"https://evil.example"}
	wantErr(t, s.UpdateWidget(ctx(t), hijack), storage.ErrNotFound, "update another org's widget")
	got, err := s.GetWidget(ctx(t), b.org.ID, b.widget.ID)
	ok(t, err, "get other org's widget")
	same(t, got, b.widget, "other org's widget after a refused update")
}
