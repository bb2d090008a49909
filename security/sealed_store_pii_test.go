package security

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/helpr-chat/helpr/storage"
)

// piiTypes are the types whose fields SealedStore seals (visitorFields). A
// store method whose arguments or results contain one of them, however
// deeply, carries PII.
var piiTypes = []reflect.Type{reflect.TypeOf(storage.Visitor{}), reflect.TypeOf(storage.OneTime{}),
	reflect.TypeOf(storage.PendingTOTP{}), reflect.TypeOf(storage.MFAState{}), reflect.TypeOf(storage.Mail{}),
	reflect.TypeOf(storage.CustomerUser{})}

// piiRule says what SealedStore does with one PII-carrying method.
type piiRule struct {
	seals  bool   // its PII arguments reach the backend sealed
	opens  bool   // its PII results come back opened
	reason string // why, in one line
}

// piiMethods lists every storage.Store method that carries PII, with what
// SealedStore does about it. TestSealedStorePIIMethods fails when a
// storage.Store method carrying PII is missing here: say you add
// ListVisitors(ctx, orgID) ([]storage.Visitor, error) to storage.Store. The
// compiler makes you write SealedStore.ListVisitors (there is no embedding
// to promote it), and a one-line delegation would hand sealed values to
// the handlers; this test then fails until ListVisitors is listed here with
// opens set (or a reason why it returns sealed values), and
// TestSealedStoreKeepsPIIFromTheBackend then checks that behaviour through
// a recording backend.
var piiMethods = map[string]piiRule{
	"CreateVisitor":            {seals: true, reason: "seals Name, Email and Phone and sets the blind index before the write"},
	"UpdateVisitor":            {seals: true, reason: "seals Name, Email and Phone under the current key before the write"},
	"GetVisitor":               {opens: true, reason: "opens the stored visitor for the handlers"},
	"FindVisitorByEmailIndex":  {opens: true, reason: "opens the visitor found by blind index"},
	"ListVisitors":             {opens: true, reason: "opens each listed visitor for GET /visitors"},
	"ScanVisitors":             {reason: "maintenance only (ReEncrypt): returns the backend's sealed values unopened"},
	"PutOneTime":               {seals: true, reason: "seals OneTime.Data (an invitee's email, ceremony state) before the write"},
	"GetOneTime":               {opens: true, reason: "opens OneTime.Data for the flows"},
	"ChargeOneTimeAttempt":     {opens: true, reason: "opens OneTime.Data of the charged token"},
	"ConsumeOneTime":           {opens: true, reason: "opens OneTime.Data of the consumed token"},
	"ListOneTime":              {opens: true, reason: "opens OneTime.Data of each listed token (pending invitations)"},
	"BeginTOTP":                {seals: true, reason: "seals the pending TOTP secret before the write"},
	"GetMFA":                   {opens: true, reason: "opens the pending and enabled TOTP secrets for the second-factor check"},
	"EnqueueMail":              {seals: true, reason: "seals a mail's To, Subject and Text before the write"},
	"ClaimMail":                {opens: true, reason: "opens To, Subject and Text of each claimed mail for the sender"},
	"CreateCustomerUser":       {seals: true, reason: "seals ExternalID, Name and Email and sets the keyed index before the write"},
	"UpdateCustomerUser":       {seals: true, reason: "seals ExternalID, Name and Email under the current key before the write"},
	"GetCustomerUser":          {opens: true, reason: "opens the customer user for the token checks and the console"},
	"FindCustomerUser":         {opens: true, reason: "opens the customer user found by keyed index"},
	"GetCustomerUserByVisitor": {opens: true, reason: "opens the customer user of a resumed visitor"},
	"ScanCustomerUsers":        {reason: "maintenance only (Reencrypt): returns the backend's sealed values unopened"},
	"ListCustomerUsers":        {opens: true, reason: "opens each listed customer user for the console"},
}

// mentionsPII reports whether t is or contains a PII type, through
// pointers, slices, arrays, maps, channels, struct fields and function
// signatures.
func mentionsPII(t reflect.Type) bool { return mentions(t, map[reflect.Type]bool{}) }

func mentions(t reflect.Type, seen map[reflect.Type]bool) bool {
	if seen[t] {
		return false
	}
	seen[t] = true
	for _, p := range piiTypes {
		if t == p {
			return true
		}
	}
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Array, reflect.Chan:
		return mentions(t.Elem(), seen)
	case reflect.Map:
		return mentions(t.Key(), seen) || mentions(t.Elem(), seen)
	case reflect.Struct:
		for i := range t.NumField() {
			if mentions(t.Field(i).Type, seen) {
				return true
			}
		}
	case reflect.Func:
		for i := range t.NumIn() {
			if mentions(t.In(i), seen) {
				return true
			}
		}
		for i := range t.NumOut() {
			if mentions(t.Out(i), seen) {
				return true
			}
		}
	}
	return false
}

var storeType = reflect.TypeOf((*storage.Store)(nil)).Elem()

// SealedStore must not embed anything: an embedded storage.Store promotes
// every method added to the interface later, PII or not, unsealed.
func TestSealedStoreEmbedsNothing(t *testing.T) {
	st := reflect.TypeOf(SealedStore{})
	for i := range st.NumField() {
		if f := st.Field(i); f.Anonymous {
			t.Errorf("SealedStore embeds %s: new store methods would pass through unsealed; hold it in a named field and write every method out", f.Type)
		}
	}
}

func TestSealedStorePIIMethods(t *testing.T) {
	for i := range storeType.NumMethod() {
		m := storeType.Method(i)
		if _, listed := piiMethods[m.Name]; mentionsPII(m.Type) && !listed {
			t.Errorf("storage.Store.%s carries a PII type but SealedStore does not list it as sealed: seal or open it in SealedStore and add it to piiMethods", m.Name)
		}
	}
	for name := range piiMethods {
		m, ok := storeType.MethodByName(name)
		switch {
		case !ok:
			t.Errorf("piiMethods lists %s, which storage.Store does not have", name)
		case !mentionsPII(m.Type):
			t.Errorf("piiMethods lists %s, which carries no PII type", name)
		}
	}
}

// The detector itself finds a visitor however it is wrapped, and nothing
// where there is none.
func TestMentionsPII(t *testing.T) {
	type page struct {
		Next  string
		Items []*storage.Visitor
	}
	type hidden interface {
		ListVisitors(ctx context.Context, orgID string) ([]storage.Visitor, error)
		Page(ctx context.Context) (page, error)
		ByID(ctx context.Context, ids map[string]storage.Visitor) error
		Widgets(ctx context.Context) ([]storage.Widget, error)
	}
	want := map[string]bool{"ListVisitors": true, "Page": true, "ByID": true, "Widgets": false}
	it := reflect.TypeOf((*hidden)(nil)).Elem()
	for i := range it.NumMethod() {
		m := it.Method(i)
		if got := mentionsPII(m.Type); got != want[m.Name] {
			t.Errorf("mentionsPII(%s) = %v, want %v", m.Name, got, want[m.Name])
		}
	}
}

// sentinel marks the plaintext of every PII field in
// TestSealedStoreKeepsPIIFromTheBackend (compared case-insensitively).
const sentinel = "pii-sentinel"

// recordingStore is the backend under test: it records the arguments of
// every PII method and answers reads with one visitor sealed as the real
// backend would hold it. Methods it does not override panic (nil Store):
// a new PII method needs an override here.
type recordingStore struct {
	storage.Store
	sealed    storage.Visitor
	sealedOT  storage.OneTime
	sealedMFA storage.MFAState
	sealedM   storage.Mail
	sealedCU  storage.CustomerUser
	calls     map[string][]any
}

func (r *recordingStore) record(name string, args ...any) { r.calls[name] = args }

func (r *recordingStore) CreateVisitor(_ context.Context, v storage.Visitor) error {
	r.record("CreateVisitor", v)
	return nil
}

func (r *recordingStore) UpdateVisitor(_ context.Context, v storage.Visitor) error {
	r.record("UpdateVisitor", v)
	return nil
}

func (r *recordingStore) GetVisitor(_ context.Context, orgID, id string) (storage.Visitor, error) {
	r.record("GetVisitor", orgID, id)
	return r.sealed, nil
}

func (r *recordingStore) FindVisitorByEmailIndex(_ context.Context, orgID string, indexes [][]byte) (storage.Visitor, error) {
	r.record("FindVisitorByEmailIndex", orgID, indexes)
	return r.sealed, nil
}

func (r *recordingStore) ListVisitors(_ context.Context, orgID string, cursor *storage.VisitorCursor, limit int) ([]storage.Visitor, error) {
	r.record("ListVisitors", orgID, cursor, limit)
	return []storage.Visitor{r.sealed}, nil
}

func (r *recordingStore) ScanVisitors(_ context.Context, afterID string, limit int) ([]storage.Visitor, error) {
	r.record("ScanVisitors", afterID, limit)
	return []storage.Visitor{r.sealed}, nil
}

func (r *recordingStore) PutOneTime(_ context.Context, o storage.OneTime) error {
	r.record("PutOneTime", o)
	return nil
}

func (r *recordingStore) GetOneTime(_ context.Context, purpose storage.OneTimePurpose, id string) (storage.OneTime, error) {
	r.record("GetOneTime", purpose, id)
	return r.sealedOT, nil
}

func (r *recordingStore) ChargeOneTimeAttempt(_ context.Context, purpose storage.OneTimePurpose, id string, now time.Time) (storage.OneTime, error) {
	r.record("ChargeOneTimeAttempt", purpose, id, now)
	return r.sealedOT, nil
}

func (r *recordingStore) ConsumeOneTime(_ context.Context, purpose storage.OneTimePurpose, id string, now time.Time) (storage.OneTime, error) {
	r.record("ConsumeOneTime", purpose, id, now)
	return r.sealedOT, nil
}

func (r *recordingStore) ListOneTime(_ context.Context, orgID string, purpose storage.OneTimePurpose, now time.Time) ([]storage.OneTime, error) {
	r.record("ListOneTime", orgID, purpose, now)
	return []storage.OneTime{r.sealedOT}, nil
}

func (r *recordingStore) BeginTOTP(_ context.Context, p storage.PendingTOTP) error {
	r.record("BeginTOTP", p)
	return nil
}

func (r *recordingStore) GetMFA(_ context.Context, orgID, agentID string) (storage.MFAState, error) {
	r.record("GetMFA", orgID, agentID)
	return r.sealedMFA, nil
}

// piiPendingTOTP is an enrolment whose secret holds the sentinel.
func piiPendingTOTP(orgID string) storage.PendingTOTP {
	return storage.PendingTOTP{OrgID: orgID, AgentID: "agt_sentinel", ID: "pend_1",
		Secret: "JBSWY3DP" + sentinel, CreatedAt: t0}
}

// sealedMFAState is an agent's record as a backend holds it: both
// secrets sealed (their plaintext holds the sentinel).
func sealedMFAState(t *testing.T, c *FieldCipher, orgID string) storage.MFAState {
	t.Helper()
	rec := mfaRecord(orgID, "agt_sentinel")
	pending, err := c.Seal("PENDING"+sentinel, rec, fieldTOTPSecret)
	if err != nil {
		t.Fatal(err)
	}
	secret, err := c.Seal("SECRET"+sentinel, rec, fieldTOTPSecret)
	if err != nil {
		t.Fatal(err)
	}
	return storage.MFAState{OrgID: orgID, AgentID: "agt_sentinel", PendingID: "pend_1",
		PendingSecret: pending, Secret: secret, EnabledAt: t0}
}

func (r *recordingStore) EnqueueMail(_ context.Context, m storage.Mail) error {
	r.record("EnqueueMail", m)
	return nil
}

func (r *recordingStore) ClaimMail(_ context.Context, now time.Time, lease time.Duration, limit int) ([]storage.Mail, error) {
	r.record("ClaimMail", now, lease, limit)
	return []storage.Mail{r.sealedM}, nil
}

func (r *recordingStore) CreateCustomerUser(_ context.Context, u storage.CustomerUser) error {
	r.record("CreateCustomerUser", u)
	return nil
}

func (r *recordingStore) UpdateCustomerUser(_ context.Context, u storage.CustomerUser) error {
	r.record("UpdateCustomerUser", u)
	return nil
}

func (r *recordingStore) GetCustomerUser(_ context.Context, orgID, id string) (storage.CustomerUser, error) {
	r.record("GetCustomerUser", orgID, id)
	return r.sealedCU, nil
}

func (r *recordingStore) FindCustomerUser(_ context.Context, orgID string, indexes [][]byte) (storage.CustomerUser, error) {
	r.record("FindCustomerUser", orgID, indexes)
	return r.sealedCU, nil
}

func (r *recordingStore) GetCustomerUserByVisitor(_ context.Context, orgID, visitorID string) (storage.CustomerUser, error) {
	r.record("GetCustomerUserByVisitor", orgID, visitorID)
	return r.sealedCU, nil
}

func (r *recordingStore) ScanCustomerUsers(_ context.Context, afterID string, limit int) ([]storage.CustomerUser, error) {
	r.record("ScanCustomerUsers", afterID, limit)
	return []storage.CustomerUser{r.sealedCU}, nil
}

func (r *recordingStore) ListCustomerUsers(_ context.Context, orgID string, cursor *storage.CustomerUserCursor, limit int) ([]storage.CustomerUser, error) {
	r.record("ListCustomerUsers", orgID, cursor, limit)
	return []storage.CustomerUser{r.sealedCU}, nil
}

// piiCustomerUser is a customer user whose external id, name and email
// hold the sentinel.
func piiCustomerUser(orgID string) storage.CustomerUser {
	return storage.CustomerUser{ID: "cus_sentinel", OrgID: orgID, ExternalID: "user-" + sentinel,
		Name: "Name " + sentinel, Email: sentinel + "@example.test", TokenVersion: 1, CreatedAt: t0}
}

// piiMail is a queued mail whose To, Subject and Text hold the sentinel.
func piiMail(orgID string) storage.Mail {
	return storage.Mail{ID: "mail_sentinel", OrgID: orgID, Kind: "magic_link", To: sentinel + "@example.test",
		Subject: "Subject " + sentinel, Text: "Text " + sentinel, CreatedAt: t0, NextAt: t0}
}

// piiOneTime is an invitation whose Data holds the sentinel.
func piiOneTime(orgID string) storage.OneTime {
	return storage.OneTime{ID: "tok_sentinel", Purpose: storage.PurposeInvitation, OrgID: orgID,
		Data: `{"email":"` + sentinel + `@example.test"}`, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
}

// piiVisitor is a visitor whose every PII field holds the sentinel.
func piiVisitor(orgID string) storage.Visitor {
	return storage.Visitor{ID: "vis_sentinel", OrgID: orgID, WidgetID: "wdg_1", Name: "Name " + sentinel,
		Email: sentinel + "@example.test", Phone: "+1 555 " + sentinel, CreatedAt: t0, LastSeenAt: t0}
}

// argFor is a value of type t for calling a store method: the sentinel
// visitor for visitors, the organisation id for strings.
func argFor(t reflect.Type, orgID string) reflect.Value {
	switch {
	case t == reflect.TypeOf((*context.Context)(nil)).Elem():
		return reflect.ValueOf(context.Background())
	case t == reflect.TypeOf(storage.Visitor{}):
		return reflect.ValueOf(piiVisitor(orgID))
	case t == reflect.TypeOf(storage.OneTime{}):
		return reflect.ValueOf(piiOneTime(orgID))
	case t == reflect.TypeOf(storage.PendingTOTP{}):
		return reflect.ValueOf(piiPendingTOTP(orgID))
	case t == reflect.TypeOf(storage.Mail{}):
		return reflect.ValueOf(piiMail(orgID))
	case t == reflect.TypeOf(storage.CustomerUser{}):
		return reflect.ValueOf(piiCustomerUser(orgID))
	case t.Kind() == reflect.String:
		return reflect.ValueOf(orgID).Convert(t)
	case t.Kind() == reflect.Int:
		return reflect.ValueOf(10).Convert(t)
	}
	return reflect.Zero(t)
}

// holdsSentinel reports whether v contains the sentinel in any string or
// byte slice, however deeply.
func holdsSentinel(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.String:
		return strings.Contains(strings.ToLower(v.String()), sentinel)
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return bytes.Contains(bytes.ToLower(v.Bytes()), []byte(sentinel))
		}
		for i := range v.Len() {
			if holdsSentinel(v.Index(i)) {
				return true
			}
		}
	case reflect.Pointer, reflect.Interface:
		return !v.IsNil() && holdsSentinel(v.Elem())
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			if holdsSentinel(it.Key()) || holdsSentinel(it.Value()) {
				return true
			}
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if holdsSentinel(v.Field(i)) {
				return true
			}
		}
	}
	return false
}

// Every PII method, called through SealedStore over a recording backend:
// no argument the backend receives holds PII plaintext, opening methods
// return the plaintext, and the others return only sealed values.
func TestSealedStoreKeepsPIIFromTheBackend(t *testing.T) {
	_, c := newCipher(t)
	const org = "org_sentinel"
	sealedV, err := sealVisitor(c, piiVisitor(org))
	if err != nil {
		t.Fatal(err)
	}
	sealedOT, err := sealOneTime(c, piiOneTime(org))
	if err != nil {
		t.Fatal(err)
	}
	sealedM, err := sealMail(c, piiMail(org))
	if err != nil {
		t.Fatal(err)
	}
	sealedCU, err := sealCustomerUser(c, piiCustomerUser(org))
	if err != nil {
		t.Fatal(err)
	}
	rec := &recordingStore{sealed: sealedV, sealedOT: sealedOT, sealedMFA: sealedMFAState(t, c, org),
		sealedM: sealedM, sealedCU: sealedCU, calls: map[string][]any{}}
	s := reflect.ValueOf(NewSealedStore(rec, c))
	for name, rule := range piiMethods {
		t.Run(name, func(t *testing.T) {
			m := s.MethodByName(name)
			if !m.IsValid() {
				t.Fatalf("SealedStore has no method %s", name)
			}
			args := make([]reflect.Value, m.Type().NumIn())
			for i := range args {
				args[i] = argFor(m.Type().In(i), org)
			}
			out, err := call(m, args)
			if err != nil {
				t.Fatalf("%s through a recording backend: %v (does recordingStore override it?)", name, err)
			}
			got, ok := rec.calls[name]
			if !ok {
				t.Fatalf("the backend never saw %s", name)
			}
			if holdsSentinel(reflect.ValueOf(got)) {
				t.Errorf("the backend received PII plaintext through %s: %+v", name, got)
			}
			if rule.seals && !receivedSealed(got[0]) {
				t.Errorf("%s: the backend did not receive the sealed record: %+v", name, got)
			}
			if opened := holdsSentinel(reflect.ValueOf(out)); opened != rule.opens {
				t.Errorf("%s returned plaintext = %v, want %v (%s)", name, opened, rule.opens, rule.reason)
			}
		})
	}
}

// receivedSealed reports whether a sealing method's first argument, as
// the backend received it, is the sentinel record with its fields sealed
// (not dropped).
func receivedSealed(arg any) bool {
	switch v := arg.(type) {
	case storage.Visitor:
		return v.ID == "vis_sentinel" && v.Name != "" && v.Email != "" && v.Phone != "" && v.EmailIndex != nil
	case storage.OneTime:
		return v.ID == "tok_sentinel" && strings.HasPrefix(v.Data, envelopeFormat+":")
	case storage.PendingTOTP:
		return v.ID == "pend_1" && strings.HasPrefix(v.Secret, envelopeFormat+":")
	case storage.CustomerUser:
		return v.ID == "cus_sentinel" && strings.HasPrefix(v.ExternalID, envelopeFormat+":") &&
			strings.HasPrefix(v.Name, envelopeFormat+":") && strings.HasPrefix(v.Email, envelopeFormat+":") &&
			len(v.ExternalIndex) == blindIndexLen
	case storage.Mail:
		return v.ID == "mail_sentinel" && strings.HasPrefix(v.To, envelopeFormat+":") &&
			strings.HasPrefix(v.Subject, envelopeFormat+":") && strings.HasPrefix(v.Text, envelopeFormat+":")
	}
	return false
}

// call invokes m, turning a panic (a method recordingStore does not
// override) or a returned error into an error.
func call(m reflect.Value, args []reflect.Value) (out []any, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	for _, v := range m.Call(args) {
		if e, ok := v.Interface().(error); ok && e != nil {
			return nil, e
		}
		out = append(out, v.Interface())
	}
	return out, nil
}
