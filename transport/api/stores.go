package api

import (
	"context"
	"time"

	"github.com/helpr-chat/helpr/security"
	"github.com/helpr-chat/helpr/storage"
)

var _ Store = (*security.SealedStore)(nil)

// Store is every store method the API calls, grouped by the handlers that
// call them, and security.Sealed. Sealed has an unexported method, so only
// a store of package security (a *security.SealedStore, or a type
// embedding one) satisfies Store: handing Config a raw sqlite or mongo
// backend, whose visitors would be written and read unsealed, does not
// compile. Implementations must be safe for concurrent use.
type Store interface {
	security.Sealed
	accountStore
	widgetStore
	visitorStore
	historyStore
	sessionStore
	auditStore
	erasureStore
	mfaStore
	passkeyStore
	keyedHasher
	linksStore
	offboardingStore
	webhookStore
	apiKeyStore
	customerUserStore
}

// keyedHasher computes keyed hashes (security.FieldCipher.KeyedHash) of
// low-entropy secrets and of lookup keys that must not reveal their input:
// backup codes, reset codes, sign-in IPs. Compare with KeyedHashEqual
// (constant time), never with bytes.Equal.
type keyedHasher interface {
	KeyedHash(purpose, value string) []byte
	KeyedHashEqual(purpose, value string, stored []byte) bool
}

// accountStore is what registration, sign-in, authentication, the team and
// assignment use (auth.go, login_orgs.go, authn.go, agents.go, assignee.go).
type accountStore interface {
	CreateOrgWithOwner(ctx context.Context, org storage.Organization, owner storage.Agent) error
	GetOrg(ctx context.Context, id string) (storage.Organization, error)
	ListAgentsByEmail(ctx context.Context, email string) ([]storage.Agent, error)
	GetAgent(ctx context.Context, orgID, id string) (storage.Agent, error)
	CreateAgent(ctx context.Context, a storage.Agent) error
	ListAgents(ctx context.Context, orgID string) ([]storage.Agent, error)
	SetAgentRole(ctx context.Context, orgID, id string, role storage.Role) error
}

// widgetStore is what the widget endpoints and visitor sign-up use
// (widgets.go, widget_update.go, widget_config.go, visitors.go).
type widgetStore interface {
	CreateWidget(ctx context.Context, w storage.Widget) error
	ListWidgets(ctx context.Context, orgID string) ([]storage.Widget, error)
	GetWidget(ctx context.Context, orgID, id string) (storage.Widget, error)
	UpdateWidget(ctx context.Context, w storage.Widget) error
	GetWidgetByKey(ctx context.Context, publishableKey string) (storage.Widget, error)
	RotateWidgetKey(ctx context.Context, orgID, id, newKey string, previousUntil time.Time) error
}

// visitorStore is what visitor sessions and the visitor admin endpoints
// use (visitors.go, session.go, visitor_cookie.go, visitors_admin.go,
// visitors_list.go, visitors_update.go):
// plaintext in and out, sealed below.
type visitorStore interface {
	CreateVisitor(ctx context.Context, v storage.Visitor) error
	GetVisitor(ctx context.Context, orgID, id string) (storage.Visitor, error)
	UpdateVisitor(ctx context.Context, v storage.Visitor) error
	ListVisitors(ctx context.Context, orgID string, cursor *storage.VisitorCursor, limit int) ([]storage.Visitor, error)
}

// historyStore is what conversation history, search and export read
// (history.go, export.go).
type historyStore interface {
	GetConversation(ctx context.Context, orgID, id string) (storage.Conversation, error)
	ListConversations(ctx context.Context, orgID string, f storage.ConversationFilter) ([]storage.Conversation, error)
	AgentReadSeqs(ctx context.Context, orgID, agentID string, conversationIDs []string) (map[string]int64, error)
	ListMessages(ctx context.Context, orgID, conversationID string, afterSeq int64, limit int) ([]storage.Message, error)
	SearchMessages(ctx context.Context, orgID, query string, limit int) ([]storage.Message, error)
}

// sessionStore is what session endpoints, export and erasure read
// (session.go, export.go, erasure.go).
type sessionStore interface {
	GetSession(ctx context.Context, id string) (storage.Session, error)
	GetRefreshToken(ctx context.Context, hash []byte) (storage.RefreshToken, error)
	ListSessions(ctx context.Context, orgID string, kind storage.SubjectKind, subjectID string) ([]storage.Session, error)
}

// auditStore is the audit trail as the API writes, exports and lists it
// (audit.go, export.go, audit_query.go).
type auditStore interface {
	AppendAudit(ctx context.Context, e storage.AuditEvent) error
	QueryAudit(ctx context.Context, orgID string, q storage.AuditQuery) ([]storage.AuditEvent, error)
	ListAuditForSubject(ctx context.Context, orgID, subjectID string, limit int) ([]storage.AuditEvent, error)
}

// offboardingStore is what new-IP alerts and offboarding write
// (signin_notify.go, offboarding.go).
type offboardingStore interface {
	RecordSignInIP(ctx context.Context, v storage.SignInIP, staleAt time.Time) (storage.SignInIPVisit, error)
	DeactivateAgent(ctx context.Context, orgID, id string, at time.Time) error
	RevokeOneTimeForSubject(ctx context.Context, orgID, subjectID string, purposes []storage.OneTimePurpose, now time.Time) (int, error)
	DeleteAgentPasskeys(ctx context.Context, orgID, agentID string) (int, error)
}

// erasureStore erases data subjects (erasure.go).
type erasureStore interface {
	EraseSubject(ctx context.Context, e storage.Erasure) error
}

// apiKeyStore is what secret API keys use (apikeys*.go): keys with their
// secrets opened, and the lookup hashes under every live blind-index
// version.
type apiKeyStore interface {
	CreateAPIKey(ctx context.Context, k storage.APIKey) error
	GetAPIKey(ctx context.Context, orgID, id string) (storage.APIKey, error)
	GetAPIKeyByHash(ctx context.Context, hashes [][]byte) (storage.APIKey, error)
	ListAPIKeys(ctx context.Context, orgID string) ([]storage.APIKey, error)
	RotateAPIKey(ctx context.Context, orgID, oldID string, next storage.APIKey, oldExpiresAt time.Time) error
	RevokeAPIKey(ctx context.Context, orgID, id string, at time.Time) error
	UpdateAPIKey(ctx context.Context, orgID, id, name string, rpm int) error
	TouchAPIKey(ctx context.Context, orgID, id string, at time.Time, ip string) error
	KeyedHashes(purpose, value string) [][]byte
}

// customerUserStore is what chat tokens and the customer users endpoints
// use (chattoken*.go, customer_users.go): users with their fields opened,
// found by the customer's own user id through the keyed index.
type customerUserStore interface {
	CreateCustomerUser(ctx context.Context, u storage.CustomerUser) error
	GetCustomerUser(ctx context.Context, orgID, id string) (storage.CustomerUser, error)
	FindCustomerUserByExternalID(ctx context.Context, orgID, externalID string) (storage.CustomerUser, error)
	UpdateCustomerUser(ctx context.Context, u storage.CustomerUser) error
	SetCustomerUserVisitor(ctx context.Context, orgID, id, visitorID string) error
	GetCustomerUserByVisitor(ctx context.Context, orgID, visitorID string) (storage.CustomerUser, error)
	BumpCustomerUserTokenVersion(ctx context.Context, orgID, id string) (int64, error)
	ListCustomerUsers(ctx context.Context, orgID string, cursor *storage.CustomerUserCursor, limit int) ([]storage.CustomerUser, error)
}
