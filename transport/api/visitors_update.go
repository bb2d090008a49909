package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/helpr-chat/helpr/storage"
	"github.com/helpr-chat/helpr/transport/httpx"
)

// visitorPatch is the body of PATCH /visitors/{id}. Each field is raw so
// that absent (unchanged), null (cleared) and a string (set; "" clears)
// are told apart; anything else is the wrong type.
type visitorPatch struct {
	Name  json.RawMessage `json:"name"`
	Email json.RawMessage `json:"email"`
	Phone json.RawMessage `json:"phone"`
}

// patchField is one field of a visitorPatch after decoding.
type patchField struct {
	set   bool   // present in the body
	value string // "" for null or ""
}

// decodePatchField reads raw as absent, null or a JSON string.
func decodePatchField(name string, raw json.RawMessage) (patchField, error) {
	if len(raw) == 0 {
		return patchField{}, nil
	}
	if bytes.Equal(raw, []byte("null")) {
		return patchField{set: true}, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return patchField{}, invalid(fmt.Sprintf("field %q has the wrong type (a string or null)", name))
	}
	return patchField{set: true, value: s}, nil
}

// applyVisitorPatch validates p like the pre-chat form (visitorFields) and
// applies the present fields to v; it returns the names of the fields set.
func applyVisitorPatch(v *storage.Visitor, p visitorPatch) ([]string, error) {
	fields := []struct {
		name  string
		raw   json.RawMessage
		clean func(string) (string, *httpx.Error)
		dst   *string
	}{
		{"name", p.Name, func(s string) (string, *httpx.Error) { return optionalText("name", s, maxNameLen) }, &v.Name},
		{"email", p.Email, func(s string) (string, *httpx.Error) { return optionalEmail("email", s) }, &v.Email},
		{"phone", p.Phone, optionalPhone, &v.Phone},
	}
	var changed []string
	for _, f := range fields {
		pf, err := decodePatchField(f.name, f.raw)
		if err != nil {
			return nil, err
		}
		if !pf.set {
			continue
		}
		clean, e := f.clean(pf.value)
		if e != nil {
			return nil, e
		}
		*f.dst = clean
		changed = append(changed, f.name)
	}
	return changed, nil
}

// handleUpdateVisitor changes path visitor {id}'s name, email or phone
// (any agent of its organisation) and answers with the visitor view of
// GET /visitors/{id}. The sealed store seals the fields and recomputes the
// blind email index, so ?email= finds the new address and no longer the
// old one. An erased visitor is not_found (erasure is final). The audit
// event names the changed fields, never their values.
func (a *API) handleUpdateVisitor(w http.ResponseWriter, r *http.Request, c *caller) error {
	var p visitorPatch
	if err := decode(w, r, &p); err != nil {
		return err
	}
	v, err := a.pathVisitor(r, c)
	if err != nil {
		return err
	}
	if v.Deleted() {
		return errNotFound
	}
	changed, err := applyVisitorPatch(&v, p)
	if err != nil {
		return err
	}
	if len(changed) > 0 {
		if err := a.cfg.Store.UpdateVisitor(r.Context(), v); err != nil {
			return fmt.Errorf("update visitor: %w", err) // ErrNotFound (erased meanwhile) is 404
		}
		a.audit(r, storage.AuditEvent{OrgID: c.OrgID, ActorKind: storage.SubjectAgent, ActorID: c.SubjectID,
			Action: "visitor.updated", TargetID: v.ID, Detail: "fields " + strings.Join(changed, ",")})
		a.emitVisitorUpdated(r.Context(), v)
	}
	httpx.WriteJSON(w, http.StatusOK, viewVisitor(v))
	return nil
}
