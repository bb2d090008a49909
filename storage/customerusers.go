package storage

import (
	"context"
	"time"
)

// CustomerUser is one of a customer's own users, known to helpr through
// chat tokens (POST /rest/v1/auth/token): the customer's backend names it
// by its own user id (ExternalID). ExternalID, Name and Email are sealed
// by the security layer (backends store and return envelopes);
// ExternalIndex is the keyed hash of (organisation, external id) that
// lookups use, unique per organisation. VisitorID is the one visitor that
// chats for this user on every device ("" until the first token is used).
// TokenVersion starts at 1 and only grows: a token carrying another
// version is refused (invalidation).
type CustomerUser struct {
	ID            string // "cus_…"
	OrgID         string
	ExternalID    string
	ExternalIndex []byte
	Name          string
	Email         string
	VisitorID     string
	TokenVersion  int64
	CreatedAt     time.Time
	LastSeenAt    time.Time
	DeletedAt     time.Time // set when its visitor is erased; zero while active
}

// Deleted reports whether the customer user was erased.
func (u CustomerUser) Deleted() bool { return !u.DeletedAt.IsZero() }

// CustomerUserCursor is the position after which ListCustomerUsers
// continues: the last user of the previous page.
type CustomerUserCursor struct {
	CreatedAt time.Time
	ID        string
}

// MaxCustomerUserList caps ListCustomerUsers' limit.
const MaxCustomerUserList = 200

// CustomerUserStore keeps customer users. Every method is scoped by
// organisation.
type CustomerUserStore interface {
	// CreateCustomerUser stores a new customer user. ErrConflict if the id
	// is taken or the organisation already has a user with the same
	// ExternalIndex (two nodes creating one user at once: one wins, the
	// other reads it with FindCustomerUser).
	CreateCustomerUser(ctx context.Context, u CustomerUser) error
	// GetCustomerUser returns customer user id of orgID, erased or not.
	GetCustomerUser(ctx context.Context, orgID, id string) (CustomerUser, error)
	// FindCustomerUser returns the organisation's non-erased customer user
	// whose ExternalIndex equals one of indexes (several while keys
	// rotate); ErrNotFound if none does.
	FindCustomerUser(ctx context.Context, orgID string, indexes [][]byte) (CustomerUser, error)
	// UpdateCustomerUser replaces the name, email, external id and index
	// and last-seen time of u (matched by OrgID and ID). An erased user is
	// ErrNotFound.
	UpdateCustomerUser(ctx context.Context, u CustomerUser) error
	// SetCustomerUserVisitor links the user to visitorID if it has no
	// visitor yet, in one conditional write. ErrConflict if it already has
	// one (read it again: of concurrent first uses exactly one links);
	// ErrNotFound for an unknown or erased user.
	SetCustomerUserVisitor(ctx context.Context, orgID, id, visitorID string) error
	// BumpCustomerUserTokenVersion adds one to the user's token version
	// atomically and returns the new version. ErrNotFound for an unknown
	// or erased user.
	BumpCustomerUserTokenVersion(ctx context.Context, orgID, id string) (int64, error)
	// GetCustomerUserByVisitor returns the organisation's non-erased
	// customer user linked to visitorID; ErrNotFound if there is none (an
	// anonymous visitor).
	GetCustomerUserByVisitor(ctx context.Context, orgID, visitorID string) (CustomerUser, error)
	// ScanCustomerUsers returns up to limit customer users of every
	// organisation with ID > afterID, ordered by ID, erased ones included.
	// It is for maintenance (key re-encryption), never for request
	// handling. limit <= 0 means 500; backends cap it at 5000.
	ScanCustomerUsers(ctx context.Context, afterID string, limit int) ([]CustomerUser, error)
	// ListCustomerUsers returns up to limit (<= 0: 50; capped at
	// MaxCustomerUserList) of the organisation's non-erased users, newest
	// first (CreatedAt, then ID, descending), after cursor when it is set.
	ListCustomerUsers(ctx context.Context, orgID string, cursor *CustomerUserCursor, limit int) ([]CustomerUser, error)
}
